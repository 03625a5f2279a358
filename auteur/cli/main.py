"""Entry point of the `auteur` command line: the app, error handling and its sub-commands."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from pydantic import ValidationError
from typer.core import TyperGroup

from .. import __version__
from ..model import describe_validation_error
from ..storage import GitError, StoreError
from . import doctor, documents, editorial, hierarchy, lab, projects, render, studio
from .assets import asset_app, take_app

__all__ = ["app", "describe_error", "main"]

#: Failures a user can act on: reported in one message, never as a traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (
    StoreError,  # also WorkspaceError, ProjectLockedError, StaleWriteError
    GitError,
    ValueError,  # ManifestError, NameError_, bad enum values, undecodable text
    LookupError,  # unknown addresses and documents
    OSError,  # missing files, permissions, FileExistsError
)


def describe_error(exc: BaseException) -> str:
    """One clear message for a failure, naming what was wrong."""
    if isinstance(exc, ValidationError):
        return "; ".join(describe_validation_error(exc))
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.strerror}: {exc.filename}"
    return str(exc) or type(exc).__name__


class _AuteurGroup(TyperGroup):
    """The root command: turns a user error in any sub-command into a message and exit 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise  # the reader went away (`auteur list | head`); click handles it
        except USER_ERRORS as exc:
            typer.echo(f"Error: {describe_error(exc)}", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    name="auteur",
    cls=_AuteurGroup,
    no_args_is_help=True,
)

# Each module holds the commands of one subject; adding a subject is one line here.
app.add_typer(projects.app)
app.add_typer(hierarchy.chapter_app, name="chapter", rich_help_panel="Story")
app.add_typer(hierarchy.scene_app, name="scene", rich_help_panel="Story")
app.add_typer(hierarchy.shot_app, name="shot", rich_help_panel="Story")
app.add_typer(documents.app, name="doc", rich_help_panel="Story")
app.add_typer(asset_app, name="asset", rich_help_panel="Assets and takes")
app.add_typer(take_app, name="take", rich_help_panel="Assets and takes")
app.add_typer(editorial.app)
app.add_typer(render.app)
app.command("studio", rich_help_panel="Studio")(studio.studio)
app.command("lab", rich_help_panel="Notebooks")(lab.lab)
app.command("batch", rich_help_panel="Notebooks", context_settings=lab.BATCH_SETTINGS)(lab.batch)
app.add_typer(doctor.app)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"auteur {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Auteur: a notebook-centric studio for AI film production.

    PROJECT arguments take a project's name or folder.

    Every command accepts --workspace DIR; AUTEUR_WORKSPACE sets the default.
    """


def main() -> None:
    """Run the `auteur` command."""
    app(prog_name="auteur")
