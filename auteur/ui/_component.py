"""The base of the studio's ESM components: what the user does arrives as messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from panel.custom import JSComponent

__all__ = ["ActionComponent"]


class ActionComponent(JSComponent):
    """An ESM component whose messages (user actions) go to the handlers given `on_action`.

    By default a handler gets the whole message, when it names an ``action``; subclasses
    whose messages carry their subject elsewhere override `_deliver`.
    """

    def __init__(self, **params: Any) -> None:
        params.setdefault("sizing_mode", "stretch_width")
        super().__init__(**params)
        self._handlers: list[Callable[..., Any]] = []

    def on_action(self, handler: Callable[..., Any]) -> None:
        """Call `handler` for each action the user takes in the component."""
        self._handlers.append(handler)

    def _handle_msg(self, msg: Any) -> None:
        if isinstance(msg, dict):
            for handler in list(self._handlers):
                self._deliver(handler, msg)

    def _deliver(self, handler: Callable[..., Any], msg: dict[str, Any]) -> None:
        if isinstance(msg.get("action"), str):
            handler(msg)
