"""Fixtures for the studio's browser tests: one real server, Chromium, and a page per test."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from auteur.config import load_settings
from auteur.storage import ProjectStore, Workspace
from tests.support import require_tool
from tests.ui.helpers import DEEP_QUERY_JS, StudioServer, artifacts_dir


@pytest.fixture(scope="session")
def studio_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StudioServer]:
    """`auteur studio` serving a fresh workspace, for the whole browser test session."""
    require_tool("git")
    require_tool("git-lfs", "projects store media through LFS")
    workspace = tmp_path_factory.mktemp("studio") / "workspace"
    server = StudioServer(workspace).start()
    yield server
    server.stop()


@pytest.fixture
def new_page(browser: object, studio_server: StudioServer) -> Iterator[Callable[[], object]]:
    """Factory: a fresh page (its own context, so its own localStorage). JavaScript errors fail
    the test; the server's log is printed (pytest shows it when the test fails)."""
    contexts = []
    errors: list[str] = []

    def make() -> object:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.add_init_script(f"({DEEP_QUERY_JS})()")
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        context.close()
    print("---- studio server log (last lines) ----")
    print("\n".join(studio_server.output[-60:]))
    # Bokeh reports a patch for a model it has just dropped (a view replaced while its last
    # update was on the wire) as "reference pNNN isn't known"; the page goes on working.
    errors = [e for e in errors if not re.fullmatch(r"reference p\d+ isn't known", e)]
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.fixture
def page(new_page: Callable[[], object]) -> object:
    """A fresh page."""
    return new_page()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[object, str], Path]:
    """Save a screenshot of a key state as a test artifact; returns its path."""
    folder = artifacts_dir()
    test = re.sub(r"[^A-Za-z0-9_]+", "_", request.node.name)

    def take(page: object, state: str) -> Path:
        path = folder / f"{test}-{state}.png"
        page.screenshot(path=str(path))
        print(f"screenshot: {path}")
        return path

    return take


@pytest.fixture
def server_workspace(studio_server: StudioServer) -> Workspace:
    """The server's workspace, opened in the test process (another process, as a notebook)."""
    return Workspace(studio_server.workspace, settings=load_settings(studio_server.workspace))


@pytest.fixture
def studio_project(
    server_workspace: Workspace, request: pytest.FixtureRequest
) -> Callable[..., ProjectStore]:
    """Factory: a project in the server's workspace, named after the test."""

    def make(suffix: str = "", quality: str = "standard", structure: str = "three-act"):
        base = re.sub(r"[^A-Za-z0-9]+", " ", request.node.name).strip().title()
        return server_workspace.create_project(f"{base} {suffix}".strip(), quality, structure)

    return make
