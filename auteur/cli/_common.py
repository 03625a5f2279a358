"""What every command shares: the workspace option, opening projects, reading input, output."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..config import Settings, load_settings
from ..storage import PROJECT_FILE, ProjectStore, Workspace

__all__ = [
    "ProjectArg",
    "WorkspaceOption",
    "console",
    "open_project",
    "open_workspace",
    "read_text",
    "settings_for",
]

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder. Default: $AUTEUR_WORKSPACE, else ~/Auteur_Workspace.",
        show_default=False,
    ),
]

ProjectArg = Annotated[str, typer.Argument(help="The project's name or folder.")]


def console() -> Console:
    """A console on stdout. Made per call so it writes wherever stdout points now."""
    return Console(highlight=False)


def settings_for(workspace: Path | None) -> Settings:
    """The settings in force; the `--workspace` flag wins over ``AUTEUR_WORKSPACE``."""
    return load_settings(workspace)


def open_workspace(workspace: Path | None) -> Workspace:
    """The workspace named by `--workspace`, the environment or the default."""
    settings = settings_for(workspace)
    return Workspace(settings.workspace, settings=settings)


def open_project(project: str, workspace: Path | None) -> ProjectStore:
    """Open a project by its folder, its `project.json`, or its name in the workspace."""
    settings = settings_for(workspace)
    path = Path(project).expanduser()
    if path.name == PROJECT_FILE:
        path = path.parent
    if (path / PROJECT_FILE).is_file():
        # A folder given directly may live outside any workspace; don't create one for it.
        return ProjectStore.open(path, settings)
    return Workspace(settings.workspace, settings=settings).open(project)


def read_text(source: str) -> str:
    """The text of file `source`, or of standard input when it is ``-``."""
    if source == "-":
        return typer.get_text_stream("stdin").read()
    return Path(source).expanduser().read_text(encoding="utf-8")
