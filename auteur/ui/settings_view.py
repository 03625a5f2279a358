"""The settings view: workspace settings (kept in the workspace's settings file) and the open
project's output settings (kept in its project.json)."""

from __future__ import annotations

import html
from typing import Any

import panel as pn
import param

from ..config import settings_path
from ..model import Quality
from .session import StudioSession

__all__ = ["SettingsView"]

_ASPECTS = ["16:9", "2.39:1", "1.85:1", "4:3", "1:1", "9:16"]


class SettingsView(pn.viewable.Viewer):
    """Workspace and project settings, each saved with its own button."""

    session = param.ClassSelector(class_=StudioSession, doc="The studio session.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.workspace_path = pn.pane.HTML("", sizing_mode="stretch_width")
        self.default_quality = pn.widgets.Select(
            label="Default quality", options=[q.value for q in Quality], width=200
        )
        self.scheduler = pn.widgets.TextInput(
            label="Cluster address",
            placeholder="tcp://scheduler:8786 (empty: a local cluster)",
            width=320,
        )
        self.auto_commit = pn.widgets.Checkbox(label="Commit every change (auto-commit)")
        self.left_width = pn.widgets.IntInput(
            label="Browser pane width (px)", start=160, end=900, step=10, width=200
        )
        self.right_width = pn.widgets.IntInput(
            label="Inspector pane width (px)", start=200, end=900, step=10, width=200
        )
        self.save_workspace_button = pn.widgets.Button(
            label="Save workspace settings", color="primary", width=220
        )
        self.save_workspace_button.on_click(lambda e: self.save_workspace())
        self.fps = pn.widgets.IntInput(label="Frames per second", start=1, end=240, width=160)
        self.width = pn.widgets.IntInput(label="Width (px)", start=1, width=140)
        self.height = pn.widgets.IntInput(label="Height (px)", start=1, width=140)
        self.aspect_ratio = pn.widgets.Select(label="Aspect ratio", options=_ASPECTS, width=160)
        self.save_project_button = pn.widgets.Button(
            label="Save project settings", color="primary", width=220
        )
        self.save_project_button.on_click(lambda e: self.save_project())
        self.project_box = pn.Column(
            pn.pane.HTML("<h3>Project settings</h3>", margin=(0, 5)),
            pn.Row(self.fps, self.width, self.height, self.aspect_ratio),
            self.save_project_button,
            sizing_mode="stretch_width",
        )
        self.layout = pn.Column(
            pn.pane.HTML("<h3>Workspace settings</h3>", margin=(0, 5)),
            self.workspace_path,
            self.default_quality,
            self.scheduler,
            self.auto_commit,
            pn.pane.HTML("<b>Studio preferences</b>", margin=(4, 5)),
            pn.Row(self.left_width, self.right_width),
            self.save_workspace_button,
            self.project_box,
            sizing_mode="stretch_width",
        )
        self.session.param.watch(self._draw_project, ["store", "revision"])
        self._draw_workspace()
        self._draw_project()

    def __panel__(self) -> pn.viewable.Viewable:
        return self.layout

    def _draw_workspace(self) -> None:
        workspace = self.session.workspace
        settings = workspace.settings
        self.workspace_path.object = (
            f"<p><b>Workspace path:</b> <code>{html.escape(str(workspace.root))}</code><br>"
            "<small>Choose another with <code>auteur studio --workspace</code> or "
            "<code>AUTEUR_WORKSPACE</code>. These settings are saved in "
            f"<code>{html.escape(str(settings_path(workspace.root)))}</code>.</small></p>"
        )
        self.default_quality.value = settings.default_quality.value
        self.scheduler.value = settings.scheduler or ""
        self.auto_commit.value = settings.auto_commit
        self.left_width.value = int(settings.ui.get("left_width", 300))
        self.right_width.value = int(settings.ui.get("right_width", 380))

    def _draw_project(self, *_: Any) -> None:
        store = self.session.store
        self.project_box.visible = store is not None
        if store is None:
            return
        settings = store.project.settings
        options = list(dict.fromkeys([*_ASPECTS, settings.aspect_ratio]))
        with pn.io.hold():
            self.fps.value = settings.fps
            self.width.value, self.height.value = settings.resolution
            self.aspect_ratio.options = options
            self.aspect_ratio.value = settings.aspect_ratio

    def save_workspace(self) -> None:
        """Write the workspace settings into the workspace's settings file."""
        workspace = self.session.workspace
        ui = {
            **workspace.settings.ui,
            "left_width": self.left_width.value,
            "right_width": self.right_width.value,
        }
        with self.session.reporting("Saving the workspace settings"):
            workspace.save_settings(
                default_quality=self.default_quality.value,
                scheduler=(self.scheduler.value or "").strip() or None,
                auto_commit=bool(self.auto_commit.value),
                ui=ui,
            )
            self._draw_workspace()
            self.session.notify("success", "Workspace settings saved", duration=2000)

    def save_project(self) -> None:
        """Write the project's output settings into its project.json."""
        store = self.session.store
        if store is None:
            return
        with self.session.reporting("Saving the project settings"):
            store.update_project(
                fps=self.fps.value,
                resolution=(self.width.value, self.height.value),
                aspect_ratio=self.aspect_ratio.value,
            )
            self.session.sync()
            self.session.notify("success", "Project settings saved", duration=2000)
