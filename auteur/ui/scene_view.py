"""The scene view: a storyboard grid of the scene's shots, where takes are generated and chosen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import panel as pn
import param

from ..model import Quality, Scene, shot_code
from ..storage import ProjectStore
from ._component import ActionComponent
from .session import StudioSession
from .thumbs import take_uri

__all__ = ["SceneView", "Storyboard", "storyboard_cards"]

_HERE = Path(__file__).parent


class Storyboard(ActionComponent):
    """The grid of shot cards, drawn in the browser from plain data."""

    title = param.String(default="", doc="Heading above the grid.")
    cards = param.List(default=[], doc="One dict per shot: code, description, thumb, takes...")
    progress = param.Dict(default={}, doc="Shot id → progress, step and task of its render.")
    selected = param.String(default="", doc="Id of the selected shot.")
    qualities = param.List(default=[q.value for q in Quality], doc="Quality tiers offered.")
    empty_text = param.String(default="", doc="What to say when there are no cards.")

    _esm = _HERE / "storyboard.js"
    _stylesheets = [(_HERE / "storyboard.css").read_text(encoding="utf-8")]


def storyboard_cards(store: ProjectStore, scene: Scene) -> list[dict[str, Any]]:
    """The cards of `scene`'s shots, with their takes' pictures."""
    default_quality = store.project.quality
    cards = []
    for shot in scene.shots:
        takes = [
            {
                "id": take.id,
                "label": f"take{take.number:02d}",
                "active": take.id == shot.active_take,
                "thumb": take_uri(store, take, box=96),
            }
            for take in shot.takes
        ]
        active = next((t for t in shot.takes if t.id == shot.active_take), None)
        cards.append(
            {
                "id": shot.id,
                "code": shot_code(scene, shot),
                "title": shot.title,
                "description": shot.description,
                "quality": (shot.quality or default_quality).value,
                "thumb": take_uri(store, active, box=320) if active else "",
                "takes": takes,
            }
        )
    return cards


class SceneView(pn.viewable.Viewer):
    """The shots of the scene in view, as a storyboard."""

    session = param.ClassSelector(class_=StudioSession, doc="The studio session.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.board = Storyboard()
        self.board.on_action(self._on_action)
        self.session.param.watch(self._draw, ["scene", "revision", "store"])
        self.session.param.watch(self._on_selected, "selected")
        self.session.tasks.param.watch(self._draw_progress, "version")
        self._draw()

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(self.board, sizing_mode="stretch_width")

    def _draw(self, *_: Any) -> None:
        store = self.session.store
        found = self.session.find(self.session.scene)
        if store is None or found is None or found.kind != "scene":
            self.board.param.update(
                title="",
                cards=[],
                empty_text="Select a scene in the project browser to see its shots.",
            )
            return
        scene = found.item
        cards = storyboard_cards(store, scene)
        title = f"Scene {found.chapter.number}.{scene.number}: {scene.title}"
        with pn.io.hold():
            self.board.param.update(
                title=title,
                cards=cards,
                empty_text="This scene has no shots yet. Add one in the project browser.",
            )
            self._on_selected()
            self._draw_progress()

    def _on_selected(self, *_: Any) -> None:
        found = self.session.selection
        shot = found.shot if found is not None else None
        wanted = shot.id if shot is not None else ""
        if self.board.selected != wanted:
            self.board.selected = wanted

    def _draw_progress(self, *_: Any) -> None:
        progress = {}
        for card in self.board.cards:
            task = self.session.tasks.for_node(card["id"])
            if task is not None:
                progress[card["id"]] = {
                    "progress": task.progress,
                    "step": task.step,
                    "task": task.task_id,
                }
        if progress != self.board.progress:
            self.board.progress = progress

    def _on_action(self, msg: dict[str, Any]) -> None:
        action, ident = msg.get("action"), msg.get("id")
        if not isinstance(ident, str):
            return
        if action == "select":
            self.session.select(ident)
        elif action == "generate":
            self.session.generate(ident, str(msg.get("quality") or ""))
        elif action == "set_active":
            take = msg.get("take")
            with self.session.reporting("Setting the active take"):
                self.session.store.update(ident, active_take=take)
                self.session.sync()
        elif action == "cancel":
            self.session.cancel(str(msg.get("task") or ""))
        elif action == "cast" and isinstance(msg.get("asset"), str):
            self.cast(msg["asset"], ident)

    def cast(self, asset_id: str, shot_id: str) -> None:
        """Use an asset (dropped from the asset browser) in a shot."""
        store = self.session.store
        if store is None:
            return
        with self.session.reporting("Casting"):
            shot = store.assets.cast(asset_id, shot_id)
            asset = store.assets.get(asset_id)
            self.session.notify("success", f"{asset.name} cast in {shot.title or 'the shot'}")
            self.session.sync()
