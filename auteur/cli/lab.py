"""`auteur lab` starts JupyterLab; `auteur batch` runs a parameterised notebook headless."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import Settings, load_settings
from ._common import WorkspaceOption

__all__ = ["BatchError", "batch", "lab", "notebook_dir", "parse_parameters", "run_notebook"]

#: Where `auteur batch` keeps executed notebooks, inside the project's exports.
BATCH_FOLDER = "06_Exports/notebooks"


class BatchError(RuntimeError):
    """A batch notebook failed; the message names the failing cell."""


def notebook_dir(settings: Settings) -> Path:
    """The folder JupyterLab opens in: the setting, the checkout's notebooks/, or here."""
    if settings.lab_notebook_dir is not None:
        return Path(settings.lab_notebook_dir).expanduser()
    checkout = Path(__file__).resolve().parents[2] / "notebooks"
    return checkout if checkout.is_dir() else Path.cwd()


def _free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def lab(
    workspace: WorkspaceOption = None,
    address: Annotated[
        str, typer.Option("--address", help="Address to bind (0.0.0.0 inside a container).")
    ] = "127.0.0.1",
    port: Annotated[
        int | None,
        typer.Option(
            "--port", min=0, max=65535, help="Port to bind; 0 picks a free one. Default: 8888."
        ),
    ] = None,
    notebooks: Annotated[
        Path | None,
        typer.Option("--notebook-dir", help="Folder to open. Default: notebooks/ of Auteur."),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", help="Token for the URL. Default: a new random one."),
    ] = None,
    show: Annotated[bool, typer.Option("--show", help="Open it in the web browser.")] = False,
) -> None:
    """Start JupyterLab with this environment's kernel, in the notebooks folder."""
    settings = load_settings(workspace, lab_port=port, lab_notebook_dir=notebooks)
    folder = notebook_dir(settings)
    bind = settings.lab_port or _free_port(address)
    token = token or secrets.token_urlsafe(24)
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.ip={address}",
        f"--ServerApp.port={bind}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={folder}",
        f"--IdentityProvider.token={token}",
    ]
    if not show:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # containers run as root
    env = {**os.environ, "AUTEUR_WORKSPACE": str(settings.workspace)}
    host = "127.0.0.1" if address in ("0.0.0.0", "::", "") else address
    typer.echo(f"JupyterLab: http://{host}:{bind}/lab?token={token}")
    typer.echo(f"Notebooks: {folder}  (workspace: {settings.workspace})")
    typer.echo("Press Ctrl+C to stop it.")
    if os.name == "posix":
        # Become JupyterLab, so that a signal sent to `auteur lab` (a service manager's SIGTERM)
        # stops it and its kernels instead of leaving them running.
        sys.stdout.flush()
        os.execvpe(argv[0], argv, env)
    try:
        code = subprocess.call(argv, env=env)
    except KeyboardInterrupt:
        typer.echo("Stopped.")
        return
    if code:
        raise typer.Exit(code)


def parse_parameters(args: list[str]) -> dict[str, Any]:
    """``-p KEY VALUE`` pairs as a dict; a VALUE that reads as JSON (3, true, [1]) is typed."""
    values: dict[str, Any] = {}
    rest = list(args)
    while rest:
        flag = rest.pop(0)
        if flag not in ("-p", "--parameter"):
            raise typer.BadParameter(f"unexpected {flag!r}; give parameters as -p KEY VALUE")
        if len(rest) < 2:
            raise typer.BadParameter(f"{flag} needs a KEY and a VALUE")
        key, raw = rest.pop(0), rest.pop(0)
        try:
            values[key] = json.loads(raw)
        except ValueError:
            values[key] = raw
    return values


def _copy_name(notebook: Path) -> str:
    return f"{notebook.stem}-{datetime.now().strftime('%Y%m%d-%H%M%S')}.ipynb"


def _project_folder(parameters: dict[str, Any], settings: Settings) -> Path | None:
    """The folder for executed copies in the project the parameters name, if it exists."""
    project = parameters.get("project")
    if not isinstance(project, str) or not project:
        return None
    from ..storage import Workspace, WorkspaceError

    try:
        root = Workspace(settings.workspace, settings=settings).resolve(project)
    except WorkspaceError:
        return None
    return root / BATCH_FOLDER


def run_notebook(
    notebook: Path, output: Path, parameters: dict[str, Any], timeout: float | None = None
) -> Path:
    """Execute `notebook` with `parameters` into `output`; raise `BatchError` on a failed cell."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            cwd=str(notebook.parent),
            execution_timeout=timeout,
            progress_bar=False,
        )
    except PapermillExecutionError as exc:
        # papermill counts cells from 0 and injects a parameters cell; name it as the copy shows.
        raise BatchError(
            f"cell {exc.cell_index + 1} (execution count {exc.exec_count}) failed: "
            f"{exc.ename}: {exc.evalue}"
        ) from None
    return output


def batch(
    ctx: typer.Context,
    notebook: Annotated[Path, typer.Argument(help="The notebook to run.", exists=True)],
    workspace: WorkspaceOption = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Where to save the executed copy. Default: the project's 06_Exports/notebooks/.",
        ),
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Seconds a cell may run.")
    ] = None,
) -> None:
    """Run a notebook headless with papermill: auteur batch NOTEBOOK [-p KEY VALUE]...

    Parameters go into the notebook's cell tagged `parameters`. The executed copy is saved in
    the project's 06_Exports/notebooks/ (here when there is no such project). A failing cell
    exits non-zero, naming the cell.
    """
    parameters = parse_parameters(ctx.args)
    if output is None and not parameters.get("project"):
        raise typer.BadParameter("name the project (-p project NAME) or give --output")
    settings = load_settings(workspace)
    # The kernel finds the same workspace as this command.
    os.environ["AUTEUR_WORKSPACE"] = str(settings.workspace)
    with tempfile.TemporaryDirectory(prefix="auteur-batch-") as scratch:
        # The notebook may create its project: where the copy goes is known once it ran.
        running = output or Path(scratch) / _copy_name(notebook)
        failure: BatchError | None = None
        try:
            run_notebook(notebook, running, parameters, timeout)
        except BatchError as exc:
            failure = exc
        saved = running
        if output is None:
            folder = _project_folder(parameters, settings) or Path.cwd()
            folder.mkdir(parents=True, exist_ok=True)
            saved = Path(shutil.move(running, folder / running.name))
    if failure is not None:
        typer.echo(f"Error: {failure}\nExecuted copy: {saved}", err=True)
        raise typer.Exit(1)
    typer.echo(f"Executed copy: {saved}")


#: How `auteur.cli.main` registers the commands: -p pairs reach `batch` as extra arguments.
BATCH_SETTINGS = {"allow_extra_args": True, "ignore_unknown_options": True}
