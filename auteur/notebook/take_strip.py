"""The take strip: a shot's takes with "set active", as a Jupyter widget (anywidget).

Its JavaScript, ``extensions/widgets/take_strip.js``, also serves the studio's Panel component
(`auteur.ui.take_strip.TakeStripPane`). This module needs neither Panel nor a cluster.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._pictures import take_picture

if TYPE_CHECKING:
    from ..storage import ProjectStore

__all__ = ["TAKE_STRIP_ESM", "take_strip_rows"]  # and TakeStrip, built on first use


def _find_esm() -> Path:
    # Installed, the file ships inside the package; in a checkout it lives in extensions/.
    here = Path(__file__).resolve().parent
    for candidate in (
        here / "extensions" / "take_strip.js",
        here.parents[1] / "extensions" / "widgets" / "take_strip.js",
    ):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("the take strip's JavaScript (take_strip.js) is missing")


#: The ES module of the take strip.
TAKE_STRIP_ESM = _find_esm()


def take_strip_rows(store: ProjectStore, shot: str) -> tuple[list[dict[str, Any]], str]:
    """The takes of `shot` as the strip shows them, and the id of the active one."""
    found = store.locate(shot, "shot")
    assert found.shot is not None
    active = found.shot.active_take or ""
    rows = [
        {
            "id": take.id,
            "number": take.number,
            "label": f"Take {take.number:02d}",
            "thumb": take_picture(store, take, box=160),
            "active": take.id == active,
            "rejected": take.rejected,
        }
        for take in found.shot.takes
    ]
    return rows, active


#: Events that never change a shot's takes.
_IGNORED_EVENTS = ("selection_change", "panel_resize", "task_progress", "node_state_updated")


def __getattr__(name: str) -> Any:
    # The widget class is built on first use, so importing this module never loads ipywidgets.
    if name == "TakeStrip":
        cls = _make_widget_class()
        globals()["TakeStrip"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _make_widget_class() -> type:
    import anywidget
    import traitlets

    class TakeStrip(anywidget.AnyWidget):
        """A shot's takes with "Set active": ``TakeStrip.for_shot(film, "1/1/2")``.

        Picking a take makes it the shot's active take through the project store.
        """

        _esm = TAKE_STRIP_ESM
        takes = traitlets.List(help="One dict per take: id, number, label, thumb...").tag(sync=True)
        active = traitlets.Unicode("", help="Id of the active take.").tag(sync=True)
        shot = traitlets.Unicode("", help="Id of the shot shown.").tag(sync=True)
        error = traitlets.Unicode("", help="Why the last pick failed, if it did.").tag(sync=True)

        def __init__(self, store: ProjectStore | None = None, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.store = store
            self.observe(self._on_active, names="active")
            # Follow the project: takes rendered or chosen elsewhere show up here too.
            self._unsubscribe = store.bus.subscribe(self._on_event) if store else None

        def close(self) -> None:
            if self._unsubscribe is not None:
                self._unsubscribe()
                self._unsubscribe = None
            super().close()

        def _on_event(self, event: Any) -> None:
            if event.type in _IGNORED_EVENTS or self.store is None:
                return
            try:
                rows, active = take_strip_rows(self.store, self.shot)
            except LookupError:  # the shot was deleted
                rows, active = [], ""
            if rows != self.takes or active != self.active:
                with self.hold_trait_notifications():
                    self.takes, self.active = rows, active

        @classmethod
        def for_shot(cls, store: ProjectStore, shot: str) -> Any:
            rows, active = take_strip_rows(store, shot)
            shot_id = store.locate(shot, "shot").shot.id
            return cls(store=store, shot=shot_id, takes=rows, active=active)

        def refresh(self) -> None:
            """Show the shot's takes as the project holds them now."""
            if self.store is None:
                return
            self.store.refresh()
            rows, active = take_strip_rows(self.store, self.shot)
            with self.hold_trait_notifications():
                self.takes, self.active = rows, active

        def _on_active(self, change: dict[str, Any]) -> None:
            store = self.store
            if store is None or not change["new"]:
                return
            current = store.locate(self.shot, "shot").shot.active_take
            if change["new"] == current:
                return
            try:
                store.takes.set_active(self.shot, change["new"])
                self.error = ""
            except (LookupError, ValueError, OSError) as exc:
                self.error = str(exc)
            self.refresh()

    return TakeStrip
