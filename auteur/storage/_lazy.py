"""A list whose items are read from disk the first time they are used."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, SupportsIndex

__all__ = ["LazyList"]


class LazyList(list):  # type: ignore[type-arg]
    """A list that `loader` fills on first use. A known `length` answers len() before that.

    Every list method reads the items first. Code that reads a list in C without its methods,
    as pydantic does when it validates or serialises, must call ``list(x)`` first: `Shot`
    does so when it is serialised. Copies and pickles are plain lists.
    """

    __slots__ = ("_length", "_loader", "_lock")

    def __init__(self, loader: Callable[[], Iterable[Any]], length: int | None = None) -> None:
        super().__init__()
        self._loader: Callable[[], Iterable[Any]] | None = loader
        self._length = length
        self._lock = threading.Lock()

    @property
    def pending(self) -> bool:
        """True until the items are read."""
        return self._loader is not None

    def load(self) -> None:
        """Read the items now, if not yet done."""
        if self._loader is None:
            return
        with self._lock:
            loader = self._loader
            if loader is not None:
                list.extend(self, loader())
                self._loader = None

    def __len__(self) -> int:
        if self._loader is not None and self._length is not None:
            return self._length
        self.load()
        return list.__len__(self)

    def __radd__(self, other: Any) -> Any:
        # Called before list.__add__ of a plain list, which would read this one in C.
        return other + list(self) if isinstance(other, list) else NotImplemented

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        return (list, (list(self),))


def _reading_first(name: str) -> Callable[..., Any]:
    method = getattr(list, name)

    def wrapper(self: LazyList, *args: Any, **kwargs: Any) -> Any:
        self.load()
        for arg in args:  # another lazy list given would be read in C: read it too
            if isinstance(arg, LazyList):
                arg.load()
        return method(self, *args, **kwargs)

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = method.__doc__
    return wrapper


for _name in (
    "__add__",
    "__contains__",
    "__delitem__",
    "__eq__",
    "__ge__",
    "__getitem__",
    "__gt__",
    "__iadd__",
    "__imul__",
    "__iter__",
    "__le__",
    "__lt__",
    "__mul__",
    "__ne__",
    "__repr__",
    "__reversed__",
    "__rmul__",
    "__setitem__",
    "append",
    "clear",
    "copy",
    "count",
    "extend",
    "index",
    "insert",
    "pop",
    "remove",
    "reverse",
    "sort",
):
    setattr(LazyList, _name, _reading_first(_name))
