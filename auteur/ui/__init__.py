"""The studio's Panel views: gallery, browsers, scene view, inspector, progress and git panel.

Each screen is a `pn.viewable.Viewer`; `Studio` puts them together. The same objects are served
by ``auteur studio`` and shown in JupyterLab cells.
"""

from .app import Studio, git_banner
from .asset_browser import AssetBrowser
from .asset_details import AssetDetails
from .asset_view import AssetView
from .browser import ProjectBrowser, ProjectTree, project_rows
from .character_sheet import CharacterSheet
from .engine import RenderEngine
from .gallery import NewProjectDialog, ProjectGallery
from .git_panel import GitPanel
from .inspector import Inspector
from .layout import ThreePanes
from .live import ProjectWatcher
from .progress import ProgressArea
from .scene_view import SceneView, Storyboard
from .session import Selection, StudioSession
from .settings_view import SettingsView
from .tasks import TaskInfo, TaskTracker

__all__ = [
    "AssetBrowser",
    "AssetDetails",
    "AssetView",
    "CharacterSheet",
    "GitPanel",
    "Inspector",
    "NewProjectDialog",
    "ProgressArea",
    "ProjectBrowser",
    "ProjectGallery",
    "ProjectTree",
    "ProjectWatcher",
    "RenderEngine",
    "SceneView",
    "Selection",
    "SettingsView",
    "Storyboard",
    "Studio",
    "StudioSession",
    "TaskInfo",
    "TaskTracker",
    "ThreePanes",
    "git_banner",
    "project_rows",
]
