"""Creative document commands: treatments, screenplays, beat sheets and shot lists."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ..model import DocumentType
from ._common import ProjectArg, WorkspaceOption, console, open_project, read_text

__all__ = ["app"]

app = typer.Typer(help="Create, list, read and update creative documents.", no_args_is_help=True)

DocRef = Annotated[str, typer.Argument(help="The document's title, id or path.")]


@app.command("new")
def new_document(
    project: ProjectArg,
    doc_type: Annotated[DocumentType, typer.Argument(metavar="TYPE", help="Kind of document.")],
    title: Annotated[str, typer.Argument(help="The document's title; its file name follows.")],
    file: Annotated[
        str | None,
        typer.Option("--file", "-f", help="Start from this file's text ('-' reads stdin)."),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Create a document (from a starter template unless --file) and print its file."""
    content = read_text(file) if file is not None else None
    store = open_project(project, workspace)
    doc = store.documents.create(doc_type, title, content)
    store.autocommit(f"Add {doc.type} {doc.title}")
    typer.echo(store.path / doc.path)


@app.command("list")
def list_documents(
    project: ProjectArg,
    doc_type: Annotated[
        DocumentType | None, typer.Option("--type", "-t", help="Only documents of this kind.")
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """List the project's documents."""
    docs = open_project(project, workspace).documents.list(doc_type)
    if not docs:
        typer.echo("No documents. Create one with: auteur doc new PROJECT TYPE TITLE")
        return
    table = Table("Title", "Type", "File", "Modified", "Id")
    for doc in docs:
        modified = doc.modified.astimezone().strftime("%Y-%m-%d %H:%M")
        table.add_row(doc.title, doc.type, doc.path, modified, doc.id)
    console().print(table)


@app.command("show")
def show_document(project: ProjectArg, doc: DocRef, workspace: WorkspaceOption = None) -> None:
    """Print a document's text."""
    text = open_project(project, workspace).documents.read(doc)
    typer.echo(text, nl=not text.endswith("\n"))


@app.command("update")
def update_document(
    project: ProjectArg,
    doc: DocRef,
    file: Annotated[str, typer.Argument(help="File with the new text; '-' reads stdin.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Replace a document's text and print its file."""
    content = read_text(file)
    store = open_project(project, workspace)
    updated = store.documents.update(doc, content)
    store.autocommit(f"Update {updated.type} {updated.title}")
    typer.echo(store.path / updated.path)
