"""Serving the studio with Panel's server (`panel serve`).

``auteur studio`` calls `serve_studio`. The module can also be served directly:
``panel serve auteur/ui/serve.py`` (the workspace comes from ``AUTEUR_WORKSPACE``).
"""

from __future__ import annotations

import contextlib
import html
import logging
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import panel as pn

# Absolute imports: `panel serve` runs this file as a script, outside its package.
from auteur.config import Settings, load_settings
from auteur.storage import Workspace
from auteur.ui.app import Studio
from auteur.ui.engine import RenderEngine
from auteur.ui.session import describe_error

__all__ = ["configure_panel", "serve_studio", "studio_app"]

log = logging.getLogger(__name__)

_TITLE = "Auteur Studio"


def _show_error(exc: BaseException) -> None:
    """Panel's last resort for a failing callback: a toast with the reason, not a traceback."""
    log.error("studio callback failed", exc_info=exc)
    notifications = pn.state.notifications
    if notifications is not None:
        notifications.error(f"Something went wrong: {describe_error(exc)}", duration=0)


def configure_panel() -> None:
    """Panel settings the studio needs: toasts, and errors shown as toasts."""
    pn.extension("modal", "jsoneditor", notifications=True)
    pn.config.exception_handler = _show_error


def _requested_project(workspace: Workspace) -> Path | None:
    """The project named by the page's ``?project=<folder or name>``, inside the workspace."""
    values = (pn.state.session_args or {}).get("project") or []
    if not values:
        return None
    wanted = values[0].decode("utf-8", errors="replace")
    path = workspace.resolve(wanted)
    if path.parent != workspace.projects_dir.resolve():
        raise LookupError(f"{wanted!r} is not a project of the workspace")
    return path


def studio_app(
    settings: Settings, engine: RenderEngine | None = None
) -> Callable[[], pn.viewable.Viewable]:
    """A function that builds the studio for each new browser session.

    A link such as ``/?project=My_Film`` opens that project directly.
    """

    def build() -> pn.viewable.Viewable:
        try:
            workspace = Workspace(settings.workspace, settings=settings)
            studio = Studio(workspace, engine=engine)
        except Exception as exc:  # a page that says why, never a traceback
            log.exception("the studio could not start")
            return pn.pane.Alert(
                f"<b>The studio could not start.</b> {html.escape(describe_error(exc))}",
                alert_type="danger",
            )
        with studio.session.reporting("Opening the project"):
            project = _requested_project(workspace)
            if project is not None:
                studio.session.open_project(project)
        return studio

    return build


def _free_port(address: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])


def _stop_on_sigterm(loop: Any) -> None:
    """Stop cleanly on SIGTERM (docker stop, a test ending) so the render workers stop too."""
    if threading.current_thread() is not threading.main_thread():
        return
    with contextlib.suppress(NotImplementedError, AttributeError):  # Windows has no SIGTERM
        loop.asyncio_loop.add_signal_handler(signal.SIGTERM, loop.stop)


def serve_studio(
    settings: Settings,
    *,
    demo: bool = True,
    show: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the studio until interrupted, with the render engine started in the background.

    On an empty workspace (and with `demo`), a demo project is created first.
    """
    workspace = Workspace(settings.workspace, settings=settings)
    if demo and not workspace.list_projects(with_status=False):
        from auteur.demo import create_demo_project

        try:
            create_demo_project(workspace)
        except Exception as exc:  # e.g. git missing: the page's banner says what to install
            log.warning("the demo project could not be created: %s", describe_error(exc))
    configure_panel()
    engine = RenderEngine(settings).start()
    address = settings.studio_address
    port = settings.studio_port or _free_port(address)
    open_to_all = address in ("0.0.0.0", "::", "")
    origins = ["*"] if open_to_all else [f"{address}:{port}", f"localhost:{port}"]
    server: Any = pn.serve(
        {"/": studio_app(settings, engine)},
        address=address,
        port=port,
        websocket_origin=origins,
        show=show,
        title=_TITLE,
        start=False,
    )
    url = f"http://{'localhost' if open_to_all else address}:{server.port}/"
    _stop_on_sigterm(server.io_loop)
    try:
        server.start()
        if on_ready is not None:
            on_ready(url)
        server.io_loop.start()
    finally:
        engine.close()


if __name__.startswith("bokeh_app"):
    # `panel serve auteur/ui/serve.py`: one studio per session, one engine per server.
    configure_panel()
    _settings = load_settings()
    _engine = pn.state.as_cached("auteur-render-engine", lambda: RenderEngine(_settings).start())
    studio_app(_settings, _engine)().servable(title=_TITLE)
