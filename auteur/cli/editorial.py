"""Editorial commands: import a screenplay, export the animatic, storyboard and timeline, and
round-trip the shot list through CSV."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..model.screenplay import ShotSplit
from ..storage.script_import import import_script
from ..storage.shotlist import import_shot_list, shot_list_csv
from ._common import ProjectArg, WorkspaceOption, console, open_project, read_text

__all__ = ["app", "shotlist_app"]

app = typer.Typer(no_args_is_help=True)
shotlist_app = typer.Typer(
    help="Export the shot list as CSV, or import an edited one.", no_args_is_help=True
)
app.add_typer(shotlist_app, name="shotlist", rich_help_panel="Editorial")


class ExportKind(StrEnum):
    """What `auteur export` makes."""

    ANIMATIC = "animatic"
    STORYBOARD = "storyboard"
    OTIO = "otio"


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr, fed with (done, total)."""
    err = Console(stderr=True, highlight=False)
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,  # a pipe or a log gets the paths only
    )
    task = bar.add_task(label, total=None)

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update


@app.command("import-script", rich_help_panel="Editorial")
def import_script_command(
    project: ProjectArg,
    file: Annotated[Path, typer.Argument(help="The screenplay, in Fountain (.fountain).")],
    shots: Annotated[
        ShotSplit | None,
        typer.Option(
            "--shots",
            help="Draft shots: one per action block (action), also one per speech (speech), "
            "or one per scene (scene). Default: the script_shot_split setting.",
            show_default=False,
        ),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="Title of the screenplay document.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Import a Fountain screenplay: scenes, draft shots, characters and locations.

    Importing a changed script again updates what the last import made; nothing is deleted.
    """
    store = open_project(project, workspace)
    report = import_script(store, file, split=shots, title=title)
    out = console()
    for warning in report.warnings:
        out.print(f"[yellow]Warning:[/] {warning}")
    out.print(f"Imported {report.title}: {report.summary()}.")
    if report.chapters_added:
        out.print(f"New chapters: {', '.join(report.chapters_added)}")
    if report.characters_added:
        out.print(f"New characters: {', '.join(report.characters_added)}")
    if report.locations_added:
        out.print(f"New locations: {', '.join(report.locations_added)}")
    if report.kept:
        out.print(
            f"Kept {len(report.kept)} item(s) the script no longer has: {', '.join(report.kept)}"
        )
    if report.changed:
        store.autocommit(f"Import screenplay {report.title}")
    if report.document is not None:
        typer.echo(store.path / report.document.path)


@app.command("export", rich_help_panel="Editorial")
def export_command(
    project: ProjectArg,
    kind: Annotated[ExportKind, typer.Argument(help="What to export.")],
    scene: Annotated[
        str | None,
        typer.Option("--scene", help="Export only this scene (CH/SC), chapter (CH), shot or id."),
    ] = None,
    captions: Annotated[
        bool, typer.Option(help="Animatic: burn in each shot's code and dialogue.")
    ] = True,
    music: Annotated[
        str | None,
        typer.Option(help="Animatic and timeline: the music asset to use (default: the first)."),
    ] = None,
    no_music: Annotated[
        bool, typer.Option("--no-music", help="Animatic and timeline: leave the music out.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Export the animatic (MP4), storyboard (PDF) or timeline (OTIO, EDL, FCP XML).

    Files go to the project's 06_Exports; their paths are printed.
    """
    # The exporters bring in PyAV, fpdf2 and OpenTimelineIO: load them only when exporting.
    from .. import export

    store = open_project(project, workspace)
    soundtrack: str | bool = False if no_music else (music or True)
    try:
        with _progress(kind.value.capitalize()) as progress:
            if kind is ExportKind.ANIMATIC:
                paths = [
                    export.export_animatic(
                        store, scene, captions=captions, music=soundtrack, progress=progress
                    )
                ]
            elif kind is ExportKind.STORYBOARD:
                paths = [export.export_storyboard(store, scene, progress=progress)]
            else:
                paths = export.export_timeline(store, scene, music=soundtrack, progress=progress)
                fps = store.project.settings.fps
                left_out = set(export.TIMELINE_FORMATS) - set(export.timeline_formats(fps))
                if left_out:
                    names = " and ".join(sorted(ext.upper() for ext in left_out))
                    typer.echo(f"Note: no {names}: SMPTE timecode has no {fps} fps.", err=True)
    except export.ExportError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    for path in paths:
        typer.echo(path)


@shotlist_app.command("export")
def shotlist_export(
    project: ProjectArg,
    file: Annotated[str, typer.Argument(help="CSV file to write; '-' prints it.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Write the shot list as CSV."""
    text = shot_list_csv(open_project(project, workspace))
    if file == "-":
        typer.echo(text, nl=False)
        return
    path = Path(file).expanduser()
    path.write_text(text, encoding="utf-8")
    typer.echo(path)


@shotlist_app.command("import")
def shotlist_import(
    project: ProjectArg,
    file: Annotated[str, typer.Argument(help="CSV file to read; '-' reads stdin.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Apply an edited shot list: titles, descriptions, framing, durations, cast, locations."""
    text = read_text(file)
    store = open_project(project, workspace)
    report = import_shot_list(store, text)
    typer.echo(
        f"{len(report.updated)} shot(s) updated, {len(report.added)} added, "
        f"{report.unchanged} unchanged."
    )
    if report.changed:
        store.autocommit("Import shot list")
