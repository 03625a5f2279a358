"""Chapter, scene and shot commands. Items are addressed as ``1/2/3`` or by id."""

# No `from __future__ import annotations`: typer reads the annotations of the commands made
# inside `_add_common_commands`, which name values local to it.

from pathlib import Path
from typing import Annotated, Any

import typer

from ..model import Framing
from ..storage import ProjectStore
from ._common import ProjectArg, WorkspaceOption, open_project

__all__ = ["chapter_app", "scene_app", "shot_app"]

chapter_app = typer.Typer(
    help="Add, update, rename, move and remove chapters.", no_args_is_help=True
)
scene_app = typer.Typer(help="Add, update, rename, move and remove scenes.", no_args_is_help=True)
shot_app = typer.Typer(help="Add, update, rename, move and remove shots.", no_args_is_help=True)

Title = Annotated[str, typer.Argument(help="The title.")]
Description = Annotated[str, typer.Option(help="A longer description.")]
Position = Annotated[
    int | None, typer.Option(min=1, help="Place among its siblings, from 1. Default: last.")
]
FramingOption = Annotated[Framing | None, typer.Option(help="Camera framing.")]
DurationOption = Annotated[
    int | None,
    typer.Option(min=1, help="Length in frames at the project's fps. Default: from the settings."),
]
Address = Annotated[str, typer.Argument(help="CHAPTER/SCENE/SHOT numbers, or the id.")]
NewTitle = Annotated[str | None, typer.Option(help="A new title.")]
NewDescription = Annotated[str | None, typer.Option(help="A new description.")]


def _address(store: ProjectStore, item_id: str) -> str:
    return store.locate(item_id).address


# ------------------------------------------------------------------ add


@chapter_app.command("add")
def add_chapter(
    project: ProjectArg,
    title: Title,
    description: Description = "",
    position: Position = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a chapter and print its address."""
    store = open_project(project, workspace)
    chapter = store.add_chapter(title, description, position)
    address = _address(store, chapter.id)
    store.autocommit(f"Add chapter {address}: {chapter.title}")
    typer.echo(address)


@scene_app.command("add")
def add_scene(
    project: ProjectArg,
    chapter: Annotated[str, typer.Argument(help="The chapter: its number or id.")],
    title: Title,
    description: Description = "",
    position: Position = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a scene to a chapter and print its address."""
    store = open_project(project, workspace)
    scene = store.add_scene(chapter, title, description, position)
    address = _address(store, scene.id)
    store.autocommit(f"Add scene {address}: {scene.title}")
    typer.echo(address)


@shot_app.command("add")
def add_shot(
    project: ProjectArg,
    scene: Annotated[str, typer.Argument(help="The scene: CHAPTER/SCENE or its id.")],
    description: Annotated[str, typer.Argument(help="What the shot shows.")],
    framing: FramingOption = None,
    duration: DurationOption = None,
    title: Annotated[str, typer.Option(help="A short title.")] = "",
    position: Position = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a shot to a scene and print its address."""
    store = open_project(project, workspace)
    shot = store.add_shot(
        scene, description, title=title, framing=framing, duration=duration, position=position
    )
    address = _address(store, shot.id)
    store.autocommit(f"Add shot {address}")
    typer.echo(address)


# ------------------------------------------------------------------ update


def _update(
    project: str, workspace: Path | None, kind: str, address: str, fields: dict[str, Any]
) -> None:
    changes = {name: value for name, value in fields.items() if value is not None}
    if not changes:
        options = ", ".join("--" + name.replace("_", "-") for name in fields)
        raise typer.BadParameter(f"give at least one of {options}")
    store = open_project(project, workspace)
    found = store.locate(address, kind)
    store.update(found.item.id, **changes)
    store.autocommit(f"Update {kind} {found.address}: {', '.join(sorted(changes))}")
    typer.echo(found.address)


@chapter_app.command("update")
def update_chapter(
    project: ProjectArg,
    address: Address,
    title: NewTitle = None,
    description: NewDescription = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Change a chapter's title or description."""
    _update(project, workspace, "chapter", address, {"title": title, "description": description})


@scene_app.command("update")
def update_scene(
    project: ProjectArg,
    address: Address,
    title: NewTitle = None,
    description: NewDescription = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Change a scene's title or description."""
    _update(project, workspace, "scene", address, {"title": title, "description": description})


@shot_app.command("update")
def update_shot(
    project: ProjectArg,
    address: Address,
    description: NewDescription = None,
    framing: FramingOption = None,
    duration: DurationOption = None,
    title: NewTitle = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Change a shot's description, framing, duration or title."""
    fields = {"description": description, "framing": framing, "duration": duration}
    _update(project, workspace, "shot", address, {**fields, "title": title})


# ------------------------------------------------------------------ rename, move, remove


def _add_common_commands(app: typer.Typer, kind: str, parent: str | None) -> None:
    """Give `app` the rename, move and remove commands of `kind`."""

    @app.command("rename", help=f"Give a {kind} a new title; print its address.")
    def rename(
        project: ProjectArg,
        address: Address,
        title: Annotated[str, typer.Argument(help="The new title.")],
        workspace: WorkspaceOption = None,
    ) -> None:
        store = open_project(project, workspace)
        found = store.locate(address, kind)
        store.rename(found.item.id, title)
        store.autocommit(f"Rename {kind} {found.address} to {title.strip()}")
        typer.echo(found.address)

    def do_move(
        project: str, address: str, position: int, to: str | None, workspace: Path | None
    ) -> None:
        store = open_project(project, workspace)
        found = store.locate(address, kind)
        before = found.address  # addresses follow the items' numbers, which the move changes
        moved = store.move(found.item.id, position, to)
        store.autocommit(f"Move {kind} {before} to {moved.address}")
        typer.echo(moved.address)

    Where = Annotated[int, typer.Argument(min=1, help="New place among its siblings, from 1.")]
    if parent is None:

        @app.command("move", help=f"Move a {kind} to another place; print its new address.")
        def move(
            project: ProjectArg,
            address: Address,
            position: Where,
            workspace: WorkspaceOption = None,
        ) -> None:
            do_move(project, address, position, None, workspace)

    else:

        @app.command(
            "move",
            help=f"Move a {kind} to another place, or into another {parent}; print its address.",
        )
        def move_into(
            project: ProjectArg,
            address: Address,
            position: Where,
            to: Annotated[
                str | None, typer.Option(help=f"The {parent} to move it into (address or id).")
            ] = None,
            workspace: WorkspaceOption = None,
        ) -> None:
            do_move(project, address, position, to, workspace)

    @app.command("remove", help=f"Remove a {kind}. One holding content needs --force.")
    def remove(
        project: ProjectArg,
        address: Address,
        force: Annotated[
            bool, typer.Option("--force", help="Remove it with everything it holds.")
        ] = False,
        workspace: WorkspaceOption = None,
    ) -> None:
        store = open_project(project, workspace)
        found = store.locate(address, kind)
        removed = f"{kind} {found.address}"
        label = found.item.title or getattr(found.item, "description", "")
        if label:
            removed += f": {label}"
        store.remove(found.item.id, force=force)
        store.autocommit(f"Remove {removed}")
        typer.echo(f"Removed {removed}")


_add_common_commands(chapter_app, "chapter", None)
_add_common_commands(scene_app, "scene", "chapter")
_add_common_commands(shot_app, "shot", "scene")
