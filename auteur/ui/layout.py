"""The studio's three panes: resizable, collapsible, sizes remembered by the browser."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import param
from panel.custom import Child, JSComponent

__all__ = ["ThreePanes"]

_HERE = Path(__file__).parent


class ThreePanes(JSComponent):
    """Left, centre and right panes with draggable borders and collapse buttons.

    Pane widths and collapsed states live in the browser's localStorage. The component also
    turns Ctrl+Z and Ctrl+Shift+Z (outside text fields) into undo and redo requests.
    """

    left = Child(doc="The left pane: project and asset browsers.")
    center = Child(doc="The centre pane: the main view tabs.")
    right = Child(doc="The right pane: inspector, progress and notifications.")
    left_width = param.Integer(default=280, bounds=(120, None), doc="Left pane width, pixels.")
    right_width = param.Integer(default=380, bounds=(120, None), doc="Right pane width, pixels.")

    _esm = _HERE / "layout.js"
    _stylesheets = [(_HERE / "layout.css").read_text(encoding="utf-8")]

    def __init__(self, **params: Any) -> None:
        params.setdefault("sizing_mode", "stretch_both")
        super().__init__(**params)
        self._shortcut_handlers: list[Callable[[str], None]] = []
        self._resize_handlers: list[Callable[[str, float], None]] = []

    def on_shortcut(self, handler: Callable[[str], None]) -> None:
        """Call `handler("undo")` or `handler("redo")` when the user presses the shortcut."""
        self._shortcut_handlers.append(handler)

    def on_resize(self, handler: Callable[[str, float], None]) -> None:
        """Call `handler(panel, width)` after the user resized or collapsed a pane."""
        self._resize_handlers.append(handler)

    def expand(self, side: str) -> None:
        """Show the `side` pane ("left" or "right") if the user collapsed it."""
        self._send_msg({"expand": side})

    def _handle_msg(self, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        if msg.get("type") == "shortcut" and msg.get("action") in ("undo", "redo"):
            for handler in self._shortcut_handlers:
                handler(msg["action"])
        elif msg.get("type") == "panel_resize" and msg.get("panel") in ("left", "right"):
            for handler in self._resize_handlers:
                handler(msg["panel"], float(msg.get("width") or 0))
