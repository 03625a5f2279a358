"""The project browser (Project / Chapter / Scene / Shot / Take) and the asset browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import panel as pn
import param

from ..model import Project, shot_code
from ._component import ActionComponent
from .session import Selection, StudioSession

__all__ = ["ProjectBrowser", "ProjectTree", "project_rows"]

_HERE = Path(__file__).parent
_DEFAULTS = {"chapter": "New chapter", "scene": "New scene", "shot": "New shot"}


class ProjectTree(ActionComponent):
    """A tree drawn in the browser from the rows of its expanded items only."""

    nodes = param.List(default=[], doc="Visible rows: id, kind, label, depth, expandable...")
    selected = param.String(default="", doc="Id of the selected row.")
    label = param.String(default="Project", doc="What the tree shows, for screen readers.")

    _esm = _HERE / "tree.js"
    _stylesheets = [(_HERE / "tree.css").read_text(encoding="utf-8")]

    def _deliver(self, handler: Any, msg: dict[str, Any]) -> None:
        """`handler(action, id, message)` for toggle, move, rename and delete requests."""
        if isinstance(msg.get("id"), str):
            handler(msg.get("action"), msg["id"], msg)


def _row(item_id: str, kind: str, label: str, depth: int, children: int, expanded: set[str]):
    return {
        "id": item_id,
        "kind": kind,
        "label": label,
        "depth": depth,
        "expandable": children > 0,
        "expanded": children > 0 and item_id in expanded,
        "badge": str(children) if children and kind in ("chapter", "scene") else "",
    }


def project_rows(project: Project, expanded: set[str]) -> list[dict[str, Any]]:
    """The rows of the project tree: children only under expanded items."""
    chapters = project.narrative.chapters
    rows = [_row(project.id, "project", project.name, 0, len(chapters), expanded)]
    if project.id not in expanded:
        return rows
    for chapter in chapters:
        title = f"{chapter.number}. {chapter.title}"
        rows.append(_row(chapter.id, "chapter", title, 1, len(chapter.scenes), expanded))
        if chapter.id not in expanded:
            continue
        for scene in chapter.scenes:
            title = f"{chapter.number}.{scene.number} {scene.title}"
            rows.append(_row(scene.id, "scene", title, 2, len(scene.shots), expanded))
            if scene.id not in expanded:
                continue
            for shot in scene.shots:
                text = shot.title or shot.description
                label = f"{shot_code(scene, shot)} {text[:60]}".rstrip()
                rows.append(_row(shot.id, "shot", label, 3, len(shot.takes), expanded))
                if shot.id not in expanded:
                    continue
                for take in shot.takes:
                    label = f"take{take.number:02d}" + (
                        " \u2713" if take.id == shot.active_take else ""
                    )
                    rows.append(_row(take.id, "take", label, 4, 0, expanded))
    return rows


class ProjectBrowser(pn.viewable.Viewer):
    """The project tree with its commands: add, rename, delete and reorder."""

    session = param.ClassSelector(class_=StudioSession, doc="The studio session.")
    expanded = param.List(default=[], doc="Ids of the expanded items.")
    pending_delete = param.String(default="", doc="Id of the item waiting for confirmation.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.tree = ProjectTree(label="Project")
        self.tree.on_action(self._on_tree_action)
        self.tree.param.watch(self._on_tree_select, "selected")
        self.name_input = pn.widgets.TextInput(
            label="Name",
            placeholder="Title of a new or renamed item",
            sizing_mode="stretch_width",
        )

        def make(name: str, action: Any, **kwargs: Any) -> pn.widgets.Button:
            button = pn.widgets.Button(label=name, margin=(2, 3), **kwargs)
            button.on_click(lambda e: action())
            return button

        self.buttons = {
            "add_chapter": make("Add chapter", lambda: self.add("chapter")),
            "add_scene": make("Add scene", lambda: self.add("scene")),
            "add_shot": make("Add shot", lambda: self.add("shot")),
            "rename": make("Rename", self.rename),
            "move_up": make("Move up", lambda: self.move(-1)),
            "move_down": make("Move down", lambda: self.move(1)),
            "delete": make("Delete", self.ask_delete, color="danger", variant="outline"),
        }
        self.confirm_text = pn.pane.Markdown("", margin=(0, 10))
        confirm_button = make("Confirm delete", self.delete, color="danger")
        cancel_button = make("Cancel", self._cancel_delete)
        self.confirm = pn.Row(
            self.confirm_text,
            confirm_button,
            cancel_button,
            visible=False,
            styles={"background": "#fff3f3", "border-radius": "4px"},
        )
        self.session.param.watch(self._on_project, "store")
        self.session.param.watch(self._refresh, "revision")
        self.session.param.watch(self._on_selected, "selected")
        self._on_project()

    # ------------------------------------------------------------ view

    def __panel__(self) -> pn.viewable.Viewable:
        b = self.buttons
        toolbar = pn.FlexBox(
            b["add_chapter"],
            b["add_scene"],
            b["add_shot"],
            b["rename"],
            b["move_up"],
            b["move_down"],
            b["delete"],
            gap="2px",
        )
        return pn.Column(
            self.name_input,
            toolbar,
            self.confirm,
            self.tree,
            sizing_mode="stretch_width",
        )

    def _on_project(self, *_: Any) -> None:
        store = self.session.store
        if store is None:
            self.tree.param.update(nodes=[], selected="")
            return
        project = store.project
        self.expanded = [project.id, *(c.id for c in project.narrative.chapters)]
        self._draw()

    def _refresh(self, *_: Any) -> None:
        self._draw()

    def _draw(self) -> None:
        store = self.session.store
        if store is None:
            return
        rows = project_rows(store.project, set(self.expanded))
        with pn.io.hold():
            if rows != self.tree.nodes:
                self.tree.nodes = rows
            if self.tree.selected != self.session.selected:
                self.tree.selected = self.session.selected

    # ------------------------------------------------------------ selection and expansion

    def _on_tree_select(self, event: param.parameterized.Event) -> None:
        if event.new and event.new != self.session.selected:
            self.session.select(event.new)

    def _on_selected(self, event: param.parameterized.Event) -> None:
        found = self.session.find(event.new)
        if found is not None:
            self.reveal(found)
        if self.tree.selected != event.new:
            self.tree.selected = event.new
        self._cancel_delete()

    def reveal(self, found: Selection) -> None:
        """Expand the parents of `found` so that its row shows."""
        store = self.session.store
        if store is None:
            return
        parents = [store.project.id, found.chapter, found.scene]
        if found.kind == "take":
            parents.append(found.shot)
        wanted = [p if isinstance(p, str) else p.id for p in parents if p is not None]
        wanted = [p for p in wanted if p != found.id]
        missing = [p for p in wanted if p not in self.expanded]
        if missing:
            self.expanded = [*self.expanded, *missing]
            self._draw()

    def toggle(self, ident: str) -> None:
        """Expand or collapse an item."""
        if ident in self.expanded:
            self.expanded = [i for i in self.expanded if i != ident]
        else:
            self.expanded = [*self.expanded, ident]
        self._draw()

    def _on_tree_action(self, action: str, ident: str, msg: dict[str, Any]) -> None:
        if action == "toggle":
            self.toggle(ident)
            return
        if ident != self.session.selected:
            self.session.select(ident)
        if action == "move":
            self.move(-1 if msg.get("delta", 1) < 0 else 1)
        elif action == "drop":
            target, place = msg.get("target"), msg.get("place")
            if isinstance(target, str) and place in ("before", "after", "into"):
                self.drop(ident, target, place)
        elif action == "rename":
            found = self.session.find(ident)
            if found is not None and found.kind in _DEFAULTS:
                self.name_input.value = found.item.title
        elif action == "delete":
            self.ask_delete()

    # ------------------------------------------------------------ commands

    def _target(self, kind: str) -> str | None:
        """Where a new `kind` goes: the id of its parent, from the selection."""
        found = self.session.selection
        store = self.session.store
        if store is None:
            return None
        chapters = store.project.narrative.chapters
        if kind == "scene":
            if found is not None and found.chapter is not None:
                return found.chapter.id
            return chapters[-1].id if chapters else None
        if found is not None and found.scene is not None:
            return found.scene.id
        chapter = found.chapter if found is not None and found.chapter else None
        pool = [chapter] if chapter else chapters[::-1]
        for candidate in pool:
            if candidate.scenes:
                return candidate.scenes[-1].id
        return None

    def add(self, kind: str) -> None:
        """Add a chapter, scene or shot next to the selection, named by the name field."""
        store = self.session.store
        if store is None:
            return
        text = self.name_input.value.strip() or _DEFAULTS[kind]
        with self.session.reporting(f"Adding a {kind}"):
            if kind == "chapter":
                item = store.add_chapter(text)
            else:
                parent = self._target(kind)
                if parent is None:
                    above = "chapter" if kind == "scene" else "scene"
                    raise LookupError(f"add a {above} first: a {kind} goes inside one")
                if kind == "scene":
                    item = store.add_scene(parent, text)
                else:
                    item = store.add_shot(parent, text)
            self.name_input.value = ""
            self.session.sync()
            self.session.select(item.id)

    def rename(self) -> None:
        """Give the selected item the title in the name field."""
        found = self.session.selection
        text = self.name_input.value.strip()
        if found is None or found.kind not in _DEFAULTS:
            self.session.notify("warning", "Select a chapter, scene or shot to rename")
            return
        if not text:
            self.session.notify("warning", "Type the new title in the name field first")
            return
        with self.session.reporting(f"Renaming {found.title}"):
            self.session.store.rename(found.id, text)
            self.name_input.value = ""
            self.session.sync()

    def move(self, delta: int) -> None:
        """Move the selected item up (-1) or down (+1) among its siblings."""
        found = self.session.selection
        if found is None or found.kind not in _DEFAULTS:
            return
        siblings = self._siblings(found)
        position = found.item.number + delta
        if not 1 <= position <= len(siblings):
            return
        with self.session.reporting(f"Moving {found.title}"):
            self.session.store.move(found.id, position)
            self.session.sync()

    def drop(self, ident: str, target: str, place: str) -> None:
        """Move the item `ident` where it was dropped: ``before`` or ``after`` the item
        `target` of its own kind (in any parent), or ``into`` the end of `target`, an item of
        its parent's kind."""
        found, onto = self.session.find(ident), self.session.find(target)
        if found is None or onto is None or found.kind not in _DEFAULTS or found.id == onto.id:
            return
        parent_kind = {"chapter": None, "scene": "chapter", "shot": "scene"}[found.kind]
        current = self._parent(found)
        if onto.kind == found.kind and place in ("before", "after"):
            parent = self._parent(onto)
            position = onto.item.number + (place == "after")
            if parent == current and found.item.number < onto.item.number:
                position -= 1  # the item leaves its place above the target first
        elif onto.kind == parent_kind and place == "into":
            parent = onto.id
            children = onto.item.scenes if onto.kind == "chapter" else onto.item.shots
            position = len(children) + (parent != current)
        else:
            above = f"a {parent_kind} or " if parent_kind else ""
            self.session.notify(
                "warning", f"{found.title} can only be dropped on {above}another {found.kind}"
            )
            return
        if parent == current and position == found.item.number:
            return
        with self.session.reporting(f"Moving {found.title}"):
            self.session.store.move(
                found.id, position, parent=parent if parent != current else None
            )
            self.session.sync()
            self.session.select(found.id)
            moved = self.session.find(found.id)
            if moved is not None:
                self.reveal(moved)  # in its new parent, which may have been collapsed

    @staticmethod
    def _parent(found: Selection) -> str | None:
        """The id of the chapter or scene holding a scene or shot; None for a chapter."""
        if found.kind == "scene":
            return found.chapter.id
        if found.kind == "shot":
            return found.scene.id
        return None

    def _siblings(self, found: Selection) -> list[Any]:
        if found.kind == "chapter":
            return self.session.store.project.narrative.chapters
        if found.kind == "scene":
            return found.chapter.scenes
        return found.scene.shots

    def ask_delete(self) -> None:
        """Ask to confirm deleting the selected item, saying what it holds."""
        found = self.session.selection
        if found is None or found.kind not in _DEFAULTS:
            self.session.notify("warning", "Select a chapter, scene or shot to delete")
            return
        holds = ""
        if found.kind == "chapter" and found.item.scenes:
            shots = sum(len(s.shots) for s in found.item.scenes)
            holds = f" and its {len(found.item.scenes)} scene(s), {shots} shot(s)"
        elif found.kind == "scene" and found.item.shots:
            holds = f" and its {len(found.item.shots)} shot(s)"
        elif found.kind == "shot" and found.item.takes:
            holds = f" (its {len(found.item.takes)} take file(s) stay on disk)"
        self.pending_delete = found.id
        self.confirm_text.object = f"Delete **{found.title}**{holds}?"
        self.confirm.visible = True

    def _cancel_delete(self) -> None:
        self.pending_delete = ""
        self.confirm.visible = False

    def delete(self) -> None:
        """Delete the item waiting for confirmation."""
        found = self.session.find(self.pending_delete)
        self._cancel_delete()
        if found is None:
            return
        parent = found.scene or found.chapter
        with self.session.reporting(f"Deleting {found.title}"):
            self.session.store.remove(found.id, force=True)
            self.session.sync()
            fallback = parent.id if parent is not None and parent.id != found.id else ""
            if found.kind == "scene" and found.chapter is not None:
                fallback = found.chapter.id
            self.session.select(fallback or self.session.store.project.id)
