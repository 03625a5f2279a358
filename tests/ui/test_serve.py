"""`auteur studio` as a real process: it serves the page and creates the demo project."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from auteur.demo import DEMO_NAME
from tests.support import require_tool
from tests.ui.helpers import StudioServer


@pytest.mark.slow
def test_studio_serves_and_creates_the_demo_on_an_empty_workspace(tmp_path: Path):
    require_tool("git")
    require_tool("git-lfs", "projects store media through LFS")
    workspace = tmp_path / "workspace"
    # No cluster for this test: the engine is pointed at nothing and gives up at once.
    server = StudioServer(
        workspace,
        demo=True,
        extra_env={"AUTEUR_SCHEDULER": "tcp://127.0.0.1:9", "AUTEUR_RENDER_START_TIMEOUT": "1"},
    )
    with server:
        assert server.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(server.url, timeout=30) as response:
            page = response.read().decode("utf-8")
        assert response.status == 200
        assert "Auteur Studio" in page
    manifests = list((workspace / "Projects").glob("*/project.json"))
    assert len(manifests) == 1
    assert DEMO_NAME in manifests[0].read_text(encoding="utf-8")
