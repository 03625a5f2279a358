"""Project commands: new, list, show, validate, rename, delete, trash and restore."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ..model import NarrativeStructure, Project, Quality
from ..storage import PROJECT_FILE, ProjectSummary, Workspace, WorkspaceError, validate_project
from ._common import (
    ProjectArg,
    WorkspaceOption,
    console,
    open_project,
    open_workspace,
    settings_for,
)

__all__ = ["app", "project_tree"]

app = typer.Typer()

_PANEL = "Projects"
_STATUS_STYLES = {"clean": "green", "dirty": "yellow"}


@app.command(rich_help_panel=_PANEL)
def new(
    name: Annotated[str, typer.Argument(help="The film's name; its folder is made from it.")],
    quality: Annotated[
        Quality | None, typer.Option(help="Render quality tier. Default: from the settings.")
    ] = None,
    structure: Annotated[
        NarrativeStructure | None,
        typer.Option(
            help="Narrative structure its chapters come from. Default: from the settings."
        ),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Create a project and print its folder (only the folder, for scripts)."""
    store = open_workspace(workspace).create_project(name, quality, structure)
    typer.echo(store.path)


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


def _summary_data(summary: ProjectSummary) -> dict[str, object]:
    data = asdict(summary)
    data["path"] = str(summary.path)
    data["modified"] = summary.modified.isoformat() if summary.modified else None
    return data


@app.command("list", rich_help_panel=_PANEL)
def list_projects(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List the workspace's projects with their git status (clean or dirty)."""
    ws = open_workspace(workspace)
    summaries = ws.list_projects()
    if as_json:
        typer.echo(json.dumps([_summary_data(s) for s in summaries], indent=2))
        return
    if not summaries:
        typer.echo(f"No projects in {ws.projects_dir}. Create one with: auteur new NAME")
        return
    table = Table()
    # Names and folders fold rather than lose characters when the output is narrow.
    table.add_column("Name", overflow="fold")
    table.add_column("Folder", overflow="fold")
    for title in ("Quality", "Structure", "Modified", "Git"):
        table.add_column(title, no_wrap=True)
    for s in summaries:
        status = Text(s.git_status, style=_STATUS_STYLES.get(s.git_status, "red"))
        if s.error:
            status = Text(s.error, style="red")
        table.add_row(s.name, s.folder, s.quality, s.structure, _when(s.modified), status)
    console().print(table)


def project_tree(project: Project, ids: bool = False) -> Tree:
    """The project as a tree: Project / Chapter / Scene / Shot / Take, with addresses."""

    def label(address: str, title: str, detail: str = "", ident: str = "") -> Text:
        text = Text.assemble((address, "bold cyan"), "  ", title)
        if detail:
            text.append(f"  {detail}", style="dim")
        if ids and ident:
            text.append(f"  {ident}", style="dim italic")
        return text

    shots = sum(len(sc.shots) for ch in project.narrative.chapters for sc in ch.scenes)
    heading = Text(project.name, style="bold")
    heading.append(f"  {project.quality} · {project.narrative.structure} · {shots} shot(s)", "dim")
    if ids:
        heading.append(f"  {project.id}", style="dim italic")
    root = Tree(heading)
    for chapter in project.narrative.chapters:
        ch_node = root.add(label(str(chapter.number), chapter.title, ident=chapter.id))
        for scene in chapter.scenes:
            sc_address = f"{chapter.number}/{scene.number}"
            sc_node = ch_node.add(label(sc_address, scene.title, ident=scene.id))
            for shot in scene.shots:
                detail = ", ".join(
                    part
                    for part in (shot.framing or "", f"{shot.duration} frames", shot.quality or "")
                    if part
                )
                title = shot.title or shot.description or "(no description)"
                sh_node = sc_node.add(label(f"{sc_address}/{shot.number}", title, detail, shot.id))
                for take in shot.takes:
                    marks = ["active" if take.id == shot.active_take else ""]
                    marks.append("rejected" if take.rejected else "")
                    sh_node.add(
                        label(f"take {take.number}", take.path, " ".join(filter(None, marks)))
                    )
    return root


@app.command(rich_help_panel=_PANEL)
def show(
    project: ProjectArg,
    ids: Annotated[bool, typer.Option("--ids", help="Also show each item's id.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole project as JSON.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Print the project as a tree of chapters, scenes, shots and takes, with addresses."""
    store = open_project(project, workspace)
    if as_json:
        typer.echo(store.project.model_dump_json(by_alias=True, indent=2))
        return
    console().print(project_tree(store.project, ids=ids))


def _workspace_project(name: str, workspace: Path | None) -> Path | None:
    """The folder of the project called `name` in an existing workspace, if there is one."""
    settings = settings_for(workspace)
    if not settings.workspace.is_dir():
        return None
    try:
        return Workspace(settings.workspace, settings=settings).resolve(name)
    except WorkspaceError:
        return None


@app.command(rich_help_panel=_PANEL)
def validate(
    path: Annotated[
        Path, typer.Argument(help="A project folder or its project.json (or a project's name).")
    ],
    workspace: WorkspaceOption = None,
) -> None:
    """Check a project's files; print each bad field and where it is, and exit 1 if any."""
    if not path.exists():
        path = _workspace_project(str(path), workspace) or path
    manifest = path if path.is_file() else path / PROJECT_FILE
    problems = validate_project(path)
    if not problems:
        typer.echo(f"{manifest}: valid")
        return
    if not manifest.is_file():
        typer.echo(f"Error: {problems[0]}", err=True)
        raise typer.Exit(1)
    count = f"{len(problems)} problem" + ("s" if len(problems) > 1 else "")
    typer.echo(f"{manifest} is not valid, {count}:", err=True)
    for problem in problems:
        typer.echo(f"  - {problem}", err=True)
    raise typer.Exit(1)


@app.command(rich_help_panel=_PANEL)
def rename(
    project: ProjectArg,
    new_name: Annotated[str, typer.Argument(help="The new name; the folder follows it.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Rename a project and its folder; print the new folder."""
    store = open_workspace(workspace).rename_project(project, new_name)
    typer.echo(store.path)


@app.command(rich_help_panel=_PANEL)
def delete(project: ProjectArg, workspace: WorkspaceOption = None) -> None:
    """Move a project to the workspace's trash, from where `auteur restore` brings it back."""
    entry = open_workspace(workspace).delete_project(project)
    typer.echo(f"Moved {entry.name} to the trash: {entry.path}")
    typer.echo(f"Bring it back with: auteur restore {entry.name}")


@app.command(rich_help_panel=_PANEL)
def trash(workspace: WorkspaceOption = None) -> None:
    """List deleted projects, newest first."""
    entries = open_workspace(workspace).trash()
    if not entries:
        typer.echo("The trash is empty.")
        return
    table = Table("Name", "Deleted", "Folder")
    for entry in entries:
        table.add_row(entry.name, _when(entry.deleted), str(entry.path))
    console().print(table)


@app.command(rich_help_panel=_PANEL)
def restore(
    name: Annotated[str, typer.Argument(help="The folder name shown by `auteur trash`.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Bring the latest deleted project of that name back from the trash; print its folder."""
    store = open_workspace(workspace).restore_project(name)
    typer.echo(store.path)
