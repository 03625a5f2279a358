"""Fixtures for every test: an isolated workspace and project factories."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from auteur.config import ENV_PREFIX, load_settings
from auteur.storage import ProjectStore, Workspace
from tests.support import require_tool


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep every test away from the user's home, workspace and settings."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AUTEUR_WORKSPACE", str(tmp_path / "workspace"))
    yield


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, for the browser tests of one module.

    Shared, and closed at the end of the module: Playwright's sync API cannot start while
    another instance runs, and while one runs, asyncio.run() cannot either.
    """
    executable = require_tool("chromium", "the browser tests drive it")
    playwright_api = pytest.importorskip("playwright.sync_api")
    from tests.ui.helpers import launch_chromium

    with playwright_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright, executable)
        yield chromium
        chromium.close()


@pytest.fixture
def git_tools() -> None:
    """The git and git-lfs command lines, which projects need."""
    require_tool("git")
    require_tool("git-lfs", "projects store media through LFS")


@pytest.fixture
def workspace(tmp_path: Path, git_tools: None) -> Workspace:
    """An empty workspace in a temporary folder."""
    root = tmp_path / "workspace"
    return Workspace(root, settings=load_settings(root))


@pytest.fixture
def make_project(workspace: Workspace) -> Callable[..., ProjectStore]:
    """Factory: create a project in the test workspace."""

    def make(name: str = "Test Film", quality: str = "standard", structure: str = "three-act"):
        return workspace.create_project(name, quality, structure)

    return make


@pytest.fixture
def project(make_project: Callable[..., ProjectStore]) -> ProjectStore:
    """A fresh three-act project."""
    return make_project()
