"""The project gallery and the New Project dialog."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import panel as pn
import param

from ..model import NarrativeStructure, Quality
from ..storage import ProjectStore, ProjectSummary
from ..storage.names import check_name, safe_folder_name
from ._component import ActionComponent
from .session import StudioSession, describe_error
from .thumbs import image_uri

__all__ = ["GalleryGrid", "NewProjectDialog", "ProjectGallery"]

_HERE = Path(__file__).parent


class GalleryGrid(ActionComponent):
    """The grid of project cards, drawn in the browser from plain data."""

    projects = param.List(default=[], doc="One dict per project: name, path, thumb, facts.")

    _esm = _HERE / "gallery.js"
    _stylesheets = [(_HERE / "gallery.css").read_text(encoding="utf-8")]

    def _deliver(self, handler: Any, msg: dict[str, Any]) -> None:
        """`handler(action, path)` when the user opens or deletes a project."""
        if isinstance(msg.get("path"), str):
            handler(msg.get("action"), msg["path"])


class NewProjectDialog(pn.viewable.Viewer):
    """Asks for a name, a quality tier and a narrative structure; errors show inline."""

    session = param.ClassSelector(class_=StudioSession, doc="The studio session.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        settings = self.session.workspace.settings
        structures = {self.session.workspace.template(s).name: s.value for s in NarrativeStructure}
        self.name_input = pn.widgets.TextInput(
            label="Project name", placeholder="My Film", sizing_mode="stretch_width"
        )
        self.quality = pn.widgets.Select(
            label="Quality tier",
            options=[q.value for q in Quality],
            value=settings.default_quality.value,
            sizing_mode="stretch_width",
        )
        self.structure = pn.widgets.Select(
            label="Narrative structure",
            options=structures,
            value=settings.default_structure.value,
            sizing_mode="stretch_width",
        )
        self.error = pn.pane.HTML("", visible=False, styles={"color": "#b00020"})
        self.create_button = pn.widgets.Button(label="Create project", color="primary")
        self.create_button.on_click(lambda e: self.create())
        self.cancel_button = pn.widgets.Button(label="Cancel")
        self.cancel_button.on_click(lambda e: self.close())
        self.name_input.param.watch(lambda e: self.validate(), "value")
        self.modal = pn.layout.Modal(
            pn.pane.HTML("<h2 style='margin:0'>New project</h2>"),
            self.name_input,
            self.quality,
            self.structure,
            self.error,
            pn.Row(self.create_button, self.cancel_button),
            width=420,
        )

    def __panel__(self) -> pn.viewable.Viewable:
        return self.modal

    def open(self) -> None:
        """Show the dialog, empty."""
        self.name_input.value = ""
        self._show_error("")
        self.modal.show()

    def close(self) -> None:
        """Hide the dialog."""
        self.modal.hide()

    def _show_error(self, message: str) -> None:
        self.error.object = f'<div role="alert">{html.escape(message)}</div>' if message else ""
        self.error.visible = bool(message)

    def validate(self) -> bool:
        """Check the name as typed; show what is wrong under the fields."""
        name = self.name_input.value
        settings = self.session.workspace.settings
        try:
            name = check_name(name, "the project name", settings.max_name_length)
            safe_folder_name(name, settings.max_folder_name_length)
        except ValueError as exc:
            self._show_error(describe_error(exc))
            return False
        taken = {s.name.casefold() for s in self.session.workspace.list_projects(False)}
        if name.casefold() in taken:
            self._show_error(f"a project named {name!r} already exists")
            return False
        self._show_error("")
        return True

    def create(self) -> ProjectStore | None:
        """Create the project and open it."""
        if not self.validate():
            return None
        try:
            store = self.session.workspace.create_project(
                self.name_input.value, self.quality.value, self.structure.value
            )
        except Exception as exc:
            self._show_error(describe_error(exc))
            return None
        self.close()
        self.session.projects += 1
        self.session.notify("success", f"Created {store.project.name}")
        self.session.show(store)
        return store


class ProjectGallery(pn.viewable.Viewer):
    """Every project of the workspace, to open, create or delete."""

    session = param.ClassSelector(class_=StudioSession, doc="The studio session.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.grid = GalleryGrid()
        self.grid.on_action(self._on_action)
        self.dialog = NewProjectDialog(session=self.session)
        self.new_button = pn.widgets.Button(label="New Project", color="primary")
        self.new_button.on_click(lambda e: self.dialog.open())
        self.refresh_button = pn.widgets.Button(label="Refresh", variant="outline")
        self.refresh_button.on_click(lambda e: self.refresh())
        self._thumbs: dict[Path, tuple[Any, str]] = {}
        self.session.param.watch(lambda e: self.refresh(), "projects")
        self.refresh()

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            pn.Row(
                pn.pane.HTML("<h2 style='margin:6px 0'>Projects</h2>"),
                self.new_button,
                self.refresh_button,
            ),
            self.grid,
            self.dialog,
            sizing_mode="stretch_width",
        )

    def refresh(self) -> None:
        """List the workspace's projects again."""
        with self.session.reporting("Listing the projects"):
            summaries = self.session.workspace.list_projects()
            self.grid.projects = [self._card(s) for s in summaries]

    def _card(self, summary: ProjectSummary) -> dict[str, Any]:
        modified = f"{summary.modified:%Y-%m-%d %H:%M}" if summary.modified else ""
        facts = [
            ("Quality", summary.quality),
            ("Structure", summary.structure),
            ("Modified", modified),
            ("Git", summary.git_status),
        ]
        return {
            "name": summary.name,
            "path": str(summary.path),
            "thumb": self._thumbnail(summary) if not summary.error else "",
            "facts": [list(f) for f in facts if f[1]],
            "error": summary.error,
        }

    def _thumbnail(self, summary: ProjectSummary) -> str:
        """The active take of the project's first shot that has one."""
        key = summary.modified
        cached = self._thumbs.get(summary.path)
        if cached is not None and cached[0] == key:
            return cached[1]
        uri = ""
        try:
            store = ProjectStore.open(summary.path, self.session.workspace.settings)
            for _, _, shot in store.iter_shots():
                take = next((t for t in shot.takes if t.id == shot.active_take), None)
                if take is not None:
                    uri = image_uri(store.path, take.path, box=320)
                    if uri:
                        break
        except Exception:  # an unreadable project still gets its card, without a picture
            uri = ""
        self._thumbs[summary.path] = (key, uri)
        return uri

    def _on_action(self, action: str, path: str) -> None:
        if action == "open":
            with self.session.reporting("Opening the project"):
                self.session.open_project(Path(path))
        elif action == "delete":
            with self.session.reporting("Deleting the project"):
                entry = self.session.workspace.delete_project(Path(path))
                self.session.notify("success", f"Moved {entry.name} to the workspace's trash")
                self.session.projects += 1
