"""Entry point of the `auteur` command line."""

from __future__ import annotations

import typer

app = typer.Typer(name="auteur", help="Auteur: AI film production studio.", no_args_is_help=True)


@app.callback()
def _root() -> None:
    """Auteur: AI film production studio."""


def main() -> None:
    """Run the `auteur` command."""
    app()
