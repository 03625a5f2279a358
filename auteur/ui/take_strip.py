"""The take strip in the studio: the same ES module as the notebook widget, as a Panel
`AnyWidgetComponent`."""

from __future__ import annotations

from typing import Any

import param
from panel.custom import AnyWidgetComponent

from ..notebook.take_strip import TAKE_STRIP_ESM, take_strip_rows
from .session import StudioSession

__all__ = ["TakeStripPane"]


class TakeStripPane(AnyWidgetComponent):
    """A shot's takes with "Set active"; picking one sets the shot's active take."""

    takes = param.List(default=[], doc="One dict per take: id, number, label, thumb...")
    active = param.String(default="", doc="Id of the active take.")
    shot = param.String(default="", doc="Id of the shot shown.")

    _esm = TAKE_STRIP_ESM

    def __init__(self, session: StudioSession, **params: Any) -> None:
        params.setdefault("sizing_mode", "stretch_width")
        # A plain attribute, not a parameter: parameters are synced to the browser.
        self.session = session
        super().__init__(**params)
        self.param.watch(self._on_active, "active")
        self.session.param.watch(lambda e: self.refresh(), "revision")
        self.refresh()

    def refresh(self) -> None:
        """Show the shot's takes as the project holds them now."""
        store = self.session.store
        if store is None or not self.shot:
            self.param.update(takes=[], active="")
            return
        try:
            rows, active = take_strip_rows(store, self.shot)
        except LookupError:
            rows, active = [], ""
        self.param.update(takes=rows, active=active)

    def _on_active(self, event: param.parameterized.Event) -> None:
        store = self.session.store
        if store is None or not event.new or not self.shot:
            return
        if store.locate(self.shot, "shot").shot.active_take == event.new:
            return
        with self.session.reporting("Choosing the active take"):
            store.takes.set_active(self.shot, event.new)
            self.session.sync()
