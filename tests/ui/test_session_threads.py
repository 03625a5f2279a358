"""A studio session in a real Bokeh server: work handed over from other threads runs on the
session's own thread."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import panel as pn
import pytest
from bokeh.client import pull_session

from auteur.storage import Workspace
from auteur.ui.session import StudioSession
from tests.ui.helpers import wait_for


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[StudioSession, int]]:
    """A session built by a Panel server for a connected client, and the server's thread."""
    workspace = Workspace(tmp_path / "workspace")
    made: list[tuple[StudioSession, int]] = []

    def app() -> pn.viewable.Viewable:
        made.append((StudioSession(workspace), threading.get_ident()))
        return pn.pane.Markdown("session")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = pn.serve(
        {"app": app}, address="127.0.0.1", port=port, threaded=True, show=False, start=True
    )
    try:
        wait_for(lambda: _accepts(port), what="the server")
        client = pull_session(url=f"http://127.0.0.1:{port}/app")
        try:
            wait_for(lambda: made, what="the session")
            yield made[0]
        finally:
            client.close()
    finally:
        server.stop()


def test_work_from_another_thread_waits_for_the_sessions_thread(
    served: tuple[StudioSession, int],
) -> None:
    session, server_thread = served
    doc = session._doc
    assert doc is not None and doc.session_context is not None
    busy, release = threading.Event(), threading.Event()

    def keep_the_session_busy() -> None:
        busy.set()  # Bokeh shows this document as the current one to every thread meanwhile
        release.wait(10)

    doc.add_next_tick_callback(keep_the_session_busy)
    assert busy.wait(10)
    ran_on: list[int] = []
    try:
        # As a render's progress arrives: on a thread of its own.
        session.call_soon(lambda: ran_on.append(threading.get_ident()))
        assert ran_on == [], "the callback ran at once, beside the session's own callback"
    finally:
        release.set()
    wait_for(lambda: ran_on, what="the callback on the session's thread")
    assert ran_on == [server_thread]
