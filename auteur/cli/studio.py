"""`auteur studio`: serve the studio in the browser."""

from __future__ import annotations

from typing import Annotated

import typer

from ..config import load_settings
from ..storage import check_git_tools
from ._common import WorkspaceOption

__all__ = ["studio"]


def studio(
    workspace: WorkspaceOption = None,
    address: Annotated[
        str | None,
        typer.Option("--address", help="Address to bind. Default: studio_address (127.0.0.1)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port", min=0, max=65535, help="Port to bind; 0 picks a free one. Default: 5006."
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option("--demo/--no-demo", help="Create a demo project in an empty workspace."),
    ] = True,
    show: Annotated[bool, typer.Option("--show", help="Open it in the web browser.")] = False,
) -> None:
    """Serve the studio: project gallery, browser, scene view, inspector and renders."""
    from ..ui.serve import serve_studio  # Panel loads only for this command

    # Flags win over the environment and the workspace's settings file.
    settings = load_settings(workspace, studio_address=address, studio_port=port)

    for check in check_git_tools():
        if not check.ok:
            typer.echo(f"Warning: {check.problem}; {check.fix}.", err=True)

    def ready(url: str) -> None:
        typer.echo(f"Auteur Studio is running at {url}  (workspace: {settings.workspace})")
        typer.echo("Press Ctrl+C to stop it.")

    try:
        serve_studio(settings, demo=demo, show=show, on_ready=ready)
    except KeyboardInterrupt:
        typer.echo("Stopped.")


def main() -> None:
    """Run `auteur studio` on its own: ``python -m auteur.cli.studio``."""
    typer.run(studio)


if __name__ == "__main__":
    main()
