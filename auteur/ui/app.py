"""The studio: the project gallery, then an open project in three panes.

Served by ``auteur studio`` (``panel serve``), and shown the same way in a JupyterLab cell::

    import panel as pn
    from auteur.ui import Studio
    pn.extension("modal", inline=True, notifications=True)
    Studio()
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import panel as pn
import param

from ..model import PanelResizeEvent, SelectionChangeEvent
from ..storage import Workspace, check_git_tools
from .asset_browser import AssetBrowser
from .asset_view import AssetView
from .browser import ProjectBrowser
from .canvas import CanvasView
from .editorial import EditorialPanel
from .engine import RenderEngine
from .gallery import ProjectGallery
from .git_panel import GitPanel
from .inspector import Inspector
from .layout import ThreePanes
from .progress import ProgressArea
from .scene_view import SceneView
from .session import StudioSession
from .settings_view import SettingsView

__all__ = ["Studio", "git_banner"]

_SCENE, _ASSET, _CANVAS, _GIT, _SETTINGS = range(5)


def git_banner() -> pn.pane.Alert | None:
    """A banner saying what is wrong when git or git-lfs is missing; None when both work."""
    problems = [c for c in check_git_tools() if not c.ok]
    if not problems:
        return None
    lines = "".join(
        f"<li><b>{html.escape(c.name)}</b>: {html.escape(c.problem)}. {html.escape(c.fix)}.</li>"
        for c in problems
    )
    return pn.pane.Alert(
        f"<b>Projects cannot be saved in git.</b><ul>{lines}</ul>",
        alert_type="danger",
        sizing_mode="stretch_width",
    )


class Studio(pn.viewable.Viewer):
    """The whole studio for one browser tab or notebook cell."""

    session = param.ClassSelector(class_=StudioSession, doc="What this studio shows.")

    def __init__(
        self,
        workspace: Workspace | str | Path | None = None,
        *,
        project: str | Path | None = None,
        engine: RenderEngine | None = None,
        **params: Any,
    ) -> None:
        if not isinstance(workspace, Workspace):
            workspace = Workspace(workspace)
        engine = engine or RenderEngine(workspace.settings)
        params.setdefault("session", StudioSession(workspace, engine=engine))
        super().__init__(**params)
        session = self.session
        self.gallery = ProjectGallery(session=session)
        self.browser = ProjectBrowser(session=session)
        self.asset_browser = AssetBrowser(session=session)
        self.scene_view = SceneView(session=session)
        self.asset_view = AssetView(session=session)
        self.inspector = Inspector(session=session)
        self.progress = ProgressArea(session=session)
        self.git = GitPanel(session=session)
        self.editorial = EditorialPanel(session=session)
        self.settings_view = SettingsView(session=session)
        self.canvas = CanvasView(session=session)
        self.main_tabs = pn.Tabs(
            ("Scene view", self.scene_view),
            ("Asset view", self.asset_view),
            ("Canvas", self.canvas),
            ("Editorial", self.editorial),
            ("Git", self.git),
            ("Settings", self.settings_view),
            sizing_mode="stretch_width",
        )
        self.left_tabs = pn.Tabs(
            ("Project", self.browser),
            ("Assets", self.asset_browser),
            sizing_mode="stretch_width",
        )
        settings = workspace.settings
        self.panes = ThreePanes(
            left=self.left_tabs,
            center=self.main_tabs,
            right=pn.Column(self.inspector, self.progress, sizing_mode="stretch_width"),
            left_width=int(settings.ui.get("left_width", 300)),
            right_width=int(settings.ui.get("right_width", 380)),
        )
        self.panes.on_shortcut(self._on_shortcut)
        self.panes.on_resize(self._on_resize)
        self.title = pn.pane.HTML("", margin=(0, 10))
        self.projects_button = pn.widgets.Button(
            label="All projects", variant="outline", visible=False
        )
        self.projects_button.on_click(lambda e: self.session.close_project())
        banner = git_banner()
        self.header = pn.Row(
            pn.pane.HTML("<b style='font-size:20px'>Auteur</b>", margin=(8, 10, 0, 10)),
            self.title,
            pn.HSpacer(),
            self.projects_button,
            sizing_mode="stretch_width",
            styles={"border-bottom": "1px solid #ddd"},
        )
        self.body = pn.Column(self.gallery, sizing_mode="stretch_both")
        self.root = pn.Column(
            *([banner] if banner is not None else []),
            self.header,
            self.body,
            sizing_mode="stretch_both",
        )
        session.param.watch(self._on_store, "store")
        session.param.watch(self._on_selected, "selected")
        session.param.watch(lambda e: self.panes.expand("right"), "expand_progress")
        self.main_tabs.param.watch(self._on_tab, "active")
        if project is not None:
            session.open_project(project)

    def __panel__(self) -> pn.viewable.Viewable:
        return self.root

    # ------------------------------------------------------------ switching screens

    def _on_store(self, event: param.parameterized.Event) -> None:
        store = event.new
        with pn.io.hold():
            if store is None:
                self.title.object = ""
                self.projects_button.visible = False
                self.body.objects = [self.gallery]
                self.gallery.refresh()
            else:
                self.title.object = (
                    f"<span style='font-size:18px' aria-label='Open project'>"
                    f"{html.escape(store.project.name)}</span>"
                )
                self.projects_button.visible = True
                if self.body.objects != [self.panes]:
                    self.body.objects = [self.panes]

    def _on_selected(self, event: param.parameterized.Event) -> None:
        found = self.session.find(event.new)
        store = self.session.store
        if found is None or store is None:
            return
        if found.kind == "asset" and self.main_tabs.active == _SCENE:
            self.main_tabs.active = _ASSET
        elif found.kind != "asset" and self.main_tabs.active == _ASSET:
            self.main_tabs.active = _SCENE
        target = "asset" if found.kind == "asset" else found.kind
        store.bus.publish(
            SelectionChangeEvent(
                project_id=store.project.id, target_type=target, target_id=found.id
            )
        )

    def _on_tab(self, event: param.parameterized.Event) -> None:
        self.git.active = event.new == _GIT

    def _on_shortcut(self, action: str) -> None:
        if action == "undo":
            self.session.undo()
        else:
            self.session.redo()

    def _on_resize(self, panel: str, width: float) -> None:
        store = self.session.store
        if store is not None:
            store.bus.publish(
                PanelResizeEvent(project_id=store.project.id, panel=panel, width=width)
            )
