"""LazyList: a list that reads its items on first use, and behaves as a list in every way."""

from __future__ import annotations

import copy
import pickle
import threading
from collections.abc import Callable
from typing import Any

import pytest

from auteur.storage._lazy import LazyList


class Counter:
    """A loader that counts its calls."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.calls = 0

    def __call__(self) -> list[Any]:
        self.calls += 1
        return list(self.items)


def lazy(items: list[Any] | None = None, length: int | None = None) -> tuple[LazyList, Counter]:
    loader = Counter([1, 2, 3] if items is None else items)
    return LazyList(loader, length), loader


#: Each list operation, with what a plain [1, 2, 3] gives.
OPERATIONS: list[tuple[str, Callable[[Any], Any]]] = [
    ("iter", lambda x: list(iter(x))),
    ("index", lambda x: x[1]),
    ("slice", lambda x: x[1:]),
    ("negative index", lambda x: x[-1]),
    ("contains", lambda x: 2 in x),
    ("reversed", lambda x: list(reversed(x))),
    ("count", lambda x: x.count(2)),
    ("index of", lambda x: x.index(3)),
    ("equal", lambda x: x == [1, 2, 3]),
    ("equal, reflected", lambda x: [1, 2, 3] == x),  # noqa: SIM300 (the reflected order)
    ("not equal", lambda x: x != [1, 2, 3]),
    ("less than", lambda x: x < [1, 2, 4]),
    ("add", lambda x: x + [4]),  # noqa: RUF005 (list.__add__ itself)
    ("multiply", lambda x: x * 2),
    ("multiply, reflected", lambda x: 2 * x),
    ("repr", lambda x: repr(x)),
    ("copy", lambda x: x.copy()),
    ("sorted", lambda x: sorted(x, reverse=True)),
    ("tuple", lambda x: tuple(x)),
    ("max", lambda x: max(x)),
    ("unpack", lambda x: [*x]),
    ("comprehension", lambda x: [i * 2 for i in x]),
]


@pytest.mark.parametrize(("name", "operation"), OPERATIONS, ids=[n for n, _ in OPERATIONS])
def test_reading_operations_see_the_items(name: str, operation: Callable[[Any], Any]):
    items, loader = lazy()
    assert operation(items) == operation([1, 2, 3])
    assert loader.calls == 1 and not items.pending


#: Each changing operation, with what it leaves of [1, 2, 3].
CHANGES: list[tuple[str, Callable[[Any], Any], list[int]]] = [
    ("append", lambda x: x.append(4), [1, 2, 3, 4]),
    ("extend", lambda x: x.extend([4, 5]), [1, 2, 3, 4, 5]),
    ("insert", lambda x: x.insert(0, 0), [0, 1, 2, 3]),
    ("remove", lambda x: x.remove(2), [1, 3]),
    ("pop", lambda x: x.pop(), [1, 2]),
    ("clear", lambda x: x.clear(), []),
    ("set item", lambda x: x.__setitem__(0, 9), [9, 2, 3]),
    ("set slice", lambda x: x.__setitem__(slice(0, 2), [7]), [7, 3]),
    ("delete item", lambda x: x.__delitem__(0), [2, 3]),
    ("sort", lambda x: x.sort(reverse=True), [3, 2, 1]),
    ("reverse", lambda x: x.reverse(), [3, 2, 1]),
    ("in-place add", lambda x: x.__iadd__([4]), [1, 2, 3, 4]),
    ("in-place multiply", lambda x: x.__imul__(2), [1, 2, 3, 1, 2, 3]),
]


@pytest.mark.parametrize(("name", "change", "after"), CHANGES, ids=[n for n, _, _ in CHANGES])
def test_changes_apply_to_the_items(name: str, change: Callable[[Any], Any], after: list[int]):
    items, loader = lazy()
    change(items)
    assert list(items) == after
    assert loader.calls == 1


def test_nothing_is_read_before_use():
    items, loader = lazy()
    assert items.pending and loader.calls == 0
    assert isinstance(items, list)


def test_a_known_length_answers_without_reading():
    items, loader = lazy(length=3)
    assert len(items) == 3 and bool(items)
    empty, empty_loader = lazy([], length=0)
    assert not empty
    assert loader.calls == empty_loader.calls == 0
    assert list(items) == [1, 2, 3]
    assert len(items) == 3


def test_two_unread_lists_compare_and_combine():
    first, second = lazy()[0], lazy()[0]
    assert first == second
    assert not first != second  # noqa: SIM202 (__ne__ itself)
    assert lazy()[0] + lazy()[0] == [1, 2, 3, 1, 2, 3]
    assert [0] + lazy()[0] == [0, 1, 2, 3]  # a plain list first
    combined = lazy()[0]
    combined[:1] = lazy([7, 8])[0]
    assert combined == [7, 8, 2, 3]


def test_unknown_length_reads():
    items, loader = lazy()
    assert len(items) == 3
    assert loader.calls == 1


def test_copies_and_pickles_are_plain_lists():
    items, _ = lazy()
    for clone in (copy.copy(items), copy.deepcopy(items), pickle.loads(pickle.dumps(items))):
        assert type(clone) is list and clone == [1, 2, 3]


def test_a_failed_read_is_tried_again():
    attempts: list[int] = []

    def flaky() -> list[int]:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("disk busy")
        return [1]

    items = LazyList(flaky)
    with pytest.raises(OSError, match="disk busy"):
        list(items)
    assert items.pending
    assert list(items) == [1]


def test_threads_read_once():
    started = threading.Event()
    calls: list[int] = []

    def slow() -> list[int]:
        calls.append(1)
        started.wait(1)
        return [1, 2]

    items = LazyList(slow)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(len(items))) for _ in range(8)]
    for thread in threads:
        thread.start()
    started.set()
    for thread in threads:
        thread.join()
    assert calls == [1] and results == [2] * 8
