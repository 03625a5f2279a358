"""Asset library and takes commands: `auteur asset ...` and `auteur take ...`."""

# No `from __future__ import annotations`: typer reads the commands' annotations at runtime.

from pathlib import Path
from typing import Annotated

import typer

from ..model import AssetCategory
from ._common import ProjectArg, WorkspaceOption, open_project

__all__ = ["asset_app", "take_app"]

asset_app = typer.Typer(
    help="Import, list and delete assets, and see where they are used.", no_args_is_help=True
)
take_app = typer.Typer(
    help="List, choose, reject and delete the takes of a shot.", no_args_is_help=True
)

AssetArg = Annotated[str, typer.Argument(help="The asset: its name or id.")]
ShotArg = Annotated[str, typer.Argument(help="The shot: CHAPTER/SCENE/SHOT numbers, or its id.")]
TakeArg = Annotated[str, typer.Argument(help="The take: its number or id.")]


# Categories are parsed by the library, so an unknown one gets its message and exit code 1.
_CHOICES = ", ".join(c.value for c in AssetCategory)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# ------------------------------------------------------------------ assets


@asset_app.command("add")
def add_asset(
    project: ProjectArg,
    files: Annotated[
        list[Path],
        typer.Argument(help="Files to import: images, audio, video or model weights."),
    ],
    category: Annotated[str, typer.Option("--category", "-c", help=f"The category: {_CHOICES}.")],
    name: Annotated[str, typer.Option("--name", "-n", help="The asset's name.")],
    description: Annotated[str, typer.Option(help="A description for a new asset.")] = "",
    workspace: WorkspaceOption = None,
) -> None:
    """Import files into an asset (made if new); print its id, then each imported path."""
    store = open_project(project, workspace)
    asset, imported = store.assets.add(category, name, files, description=description)
    typer.echo(asset.asset_id)
    for file in imported:
        typer.echo(file.path)


@asset_app.command("list")
def list_assets(
    project: ProjectArg,
    category: Annotated[
        str | None, typer.Option("--category", "-c", help=f"Only this category: {_CHOICES}.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """List the assets: category, id, number of files, shots using it, and name."""
    store = open_project(project, workspace)
    library = store.assets
    assets = library.list(category)
    if not assets:
        typer.echo("No assets.")
        return
    typer.echo(f"{'CATEGORY':<11} {'ID':<18} {'FILES':>5}  {'USED BY':<9} NAME")
    for asset in assets:
        used = _plural(len(asset.usage), "shot") if asset.usage else "-"
        kind = library.category_of(asset.asset_id).value
        typer.echo(f"{kind:<11} {asset.asset_id:<18} {len(asset.files):>5}  {used:<9} {asset.name}")


@asset_app.command("usages")
def asset_usages(project: ProjectArg, asset: AssetArg, workspace: WorkspaceOption = None) -> None:
    """Print every scene and shot that uses an asset."""
    store = open_project(project, workspace)
    library = store.assets
    found = library.get(asset)
    usages = library.find_usages(found.asset_id)
    if not usages:
        typer.echo(f"{found.name} ({found.asset_id}) is not used by any shot.")
        return
    shots, scenes = _plural(len(usages.shots), "shot"), _plural(len(usages.scenes), "scene")
    typer.echo(f"{found.name} ({found.asset_id}) is used by {shots} in {scenes}:")
    for scene in usages.scenes:
        typer.echo(f"{scene.address} {scene.title}".rstrip())
        for shot in (s for s in usages.shots if s.scene_id == scene.scene_id):
            typer.echo(f"  {shot.address} {shot.code} {shot.label}".rstrip())


@asset_app.command("delete")
def delete_asset(
    project: ProjectArg,
    asset: AssetArg,
    force: Annotated[
        bool, typer.Option("--force", help="Delete it even if shots use it (and uncast it).")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Move an asset's folder to the project's trash and drop it from the library."""
    store = open_project(project, workspace)
    found = store.assets.get(asset)
    trashed = store.assets.delete(found.asset_id, force=force)
    store.autocommit(f"Delete asset {found.name}")
    typer.echo(trashed or f"deleted {found.asset_id}")


# ------------------------------------------------------------------ takes


@take_app.command("list")
def list_takes(project: ProjectArg, shot: ShotArg, workspace: WorkspaceOption = None) -> None:
    """List a shot's takes: number, state, format, size, creation time and file."""
    store = open_project(project, workspace)
    entries = store.takes.list(shot, thumbnails=False)
    if not entries:
        typer.echo("No takes.")
        return
    typer.echo(f"{'TAKE':>4}  {'STATE':<8}  {'FORMAT':<6}  {'SIZE':<9}  {'CREATED':<25}  PATH")
    for entry in entries:
        meta = entry.take.metadata
        state = "active" if entry.active else "rejected" if entry.rejected else ""
        size = f"{meta['width']}x{meta['height']}" if "width" in meta else ""
        created = entry.take.created.isoformat()
        fmt = str(meta.get("format", ""))
        typer.echo(
            f"{entry.number:>4}  {state:<8}  {fmt:<6}  {size:<9}  {created:<25}  {entry.take.path}"
        )


@take_app.command("activate")
def activate_take(
    project: ProjectArg, shot: ShotArg, take: TakeArg, workspace: WorkspaceOption = None
) -> None:
    """Make a take the shot's active take; print its path."""
    store = open_project(project, workspace)
    chosen = store.takes.set_active(shot, take)
    store.autocommit(f"Choose take {chosen.number} of shot {store.locate(shot).address}")
    typer.echo(chosen.path)


@take_app.command("reject")
def reject_take(
    project: ProjectArg,
    shot: ShotArg,
    take: TakeArg,
    restore: Annotated[bool, typer.Option("--restore", help="Take the rejection back.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Mark a take rejected (or restore it); print its path."""
    store = open_project(project, workspace)
    chosen = store.takes.reject(shot, take, rejected=not restore)
    verb = "Restore" if restore else "Reject"
    store.autocommit(f"{verb} take {chosen.number} of shot {store.locate(shot).address}")
    typer.echo(chosen.path)


@take_app.command("delete")
def delete_take(
    project: ProjectArg, shot: ShotArg, take: TakeArg, workspace: WorkspaceOption = None
) -> None:
    """Move a take and its recipe to the project's trash; print where it went."""
    store = open_project(project, workspace)
    chosen = store.takes.get(shot, take)
    trashed = store.takes.delete(shot, chosen.id)
    store.autocommit(f"Delete take {chosen.number} of shot {store.locate(shot).address}")
    typer.echo(trashed)
