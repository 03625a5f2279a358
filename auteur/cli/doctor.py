"""`auteur doctor`: check the tools Auteur uses and say what to install."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from .. import __version__
from ..model import ManifestError
from ..storage import check_git_tools
from ._common import WorkspaceOption, settings_for

__all__ = ["Check", "app", "check_chromium", "check_dask", "check_docker", "check_git"]

app = typer.Typer()

#: Where browser tests look for Chromium, in order.
CHROMIUM_COMMANDS = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_FALLBACK = Path("/usr/bin/chromium")
#: Where the docker SDK looks for the engine when DOCKER_HOST is not set.
DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
_RENDER_EXTRA = "pip install 'auteur[render]'"


@dataclass(frozen=True)
class Check:
    """The outcome of one check, and what to do when it failed."""

    name: str
    ok: bool
    detail: str
    required: bool = False
    needed_for: str = ""
    fix: str = ""


def check_git() -> list[Check]:
    """git and git-lfs: every project is a repository storing media through LFS."""
    return [
        Check(
            tool.name,
            tool.ok,
            tool.version if tool.ok else tool.problem,
            required=True,
            needed_for="every project",
            fix=tool.fix,
        )
        for tool in check_git_tools()
    ]


def check_docker(timeout: float) -> Check:
    """The docker command, and an engine answering the docker SDK within `timeout` seconds."""
    needed_for, install = "container pipelines", "apt-get install docker.io"
    if shutil.which("docker") is None:
        return Check("docker", False, "docker command not found", False, needed_for, install)
    try:
        import docker
    except ImportError:
        return Check(
            "docker", False, "docker Python package missing", False, needed_for, _RENDER_EXTRA
        )
    start = "start the engine (dockerd), or set DOCKER_HOST=unix://PATH/docker.sock"
    host = os.environ.get("DOCKER_HOST", DEFAULT_DOCKER_HOST)
    socket = Path(host.removeprefix("unix://")) if host.startswith("unix://") else None
    if socket is not None and not socket.exists():
        detail = f"engine not reachable: no socket at {socket}"
        return Check("docker", False, detail, False, needed_for, start)
    try:
        # A fixed API version skips the SDK's version probe, which leaks its socket when the
        # engine is down; the unversioned /version answers whatever API the engine speaks.
        client = docker.from_env(
            version=docker.constants.DEFAULT_DOCKER_API_VERSION, timeout=timeout
        )
        try:
            version = client.api.version(api_version=False).get("Version", "?")
        finally:
            client.close()
    except Exception as exc:  # any failure means "not reachable"; the reason is shown
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Check("docker", False, f"engine not reachable: {reason}", False, needed_for, start)
    return Check("docker", True, f"engine {version}", needed_for=needed_for)


def check_dask() -> Check:
    """Dask distributed, which runs renders."""
    try:
        import distributed
    except ImportError:
        return Check(
            "dask", False, "distributed is not installed", False, "rendering", _RENDER_EXTRA
        )
    return Check("dask", True, f"distributed {distributed.__version__}", needed_for="rendering")


def check_chromium() -> Check:
    """A Chromium browser, which the UI tests drive."""
    found = next(filter(None, map(shutil.which, CHROMIUM_COMMANDS)), None)
    if found is None and CHROMIUM_FALLBACK.is_file():
        found = str(CHROMIUM_FALLBACK)
    if found is None:
        names = ", ".join(CHROMIUM_COMMANDS)
        return Check(
            "chromium",
            False,
            f"none of {names} found",
            False,
            "UI tests",
            "apt-get install chromium",
        )
    return Check("chromium", True, found, needed_for="UI tests")


def _check_settings(workspace: Path | None) -> Check:
    try:
        settings = settings_for(workspace)
    except ManifestError as exc:
        detail = "invalid: " + "; ".join(exc.problems)
        fix = "correct the workspace's settings.json or the AUTEUR_* environment variable"
        return Check("settings", False, detail, True, "every command", fix)
    state = "" if settings.workspace.is_dir() else " (created on first use)"
    return Check("settings", True, f"workspace {settings.workspace}{state}", True)


def _report(check: Check) -> None:
    state = "ok" if check.ok else "MISSING" if check.required else "missing"
    typer.echo(f"  {state:<8} {check.name:<9} {check.detail}")
    if not check.ok:
        need = "required" if check.required else "optional"
        if check.needed_for:
            need += f", needed for {check.needed_for}"
        typer.echo(f"  {'':<8} {'':<9} {need}; fix: {check.fix}")


@app.command(rich_help_panel="Setup")
def doctor(
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait for the Docker engine.")
    ] = 3.0,
    workspace: WorkspaceOption = None,
) -> None:
    """Check git, git-lfs, Docker, Dask and Chromium, and say what to install."""
    typer.echo(f"auteur {__version__}")
    checks = [
        *check_git(),
        check_docker(timeout),
        check_dask(),
        check_chromium(),
        _check_settings(workspace),
    ]
    for check in checks:
        _report(check)
    failed = [c.name for c in checks if c.required and not c.ok]
    if failed:
        typer.echo(f"Missing what Auteur needs: {', '.join(failed)}.", err=True)
        raise typer.Exit(1)
    typer.echo("Everything Auteur needs is here.")
