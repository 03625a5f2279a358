"""`auteur lab`: a real JupyterLab on 127.0.0.1 with this environment's kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

from auteur.cli.lab import notebook_dir
from auteur.config import load_settings
from tests.notebooks.conftest import NOTEBOOKS
from tests.notebooks.lab_server import LabServer

pytestmark = pytest.mark.slow


def test_lab_opens_in_the_notebooks_folder_by_default(tmp_path: Path):
    assert notebook_dir(load_settings(tmp_path)) == NOTEBOOKS
    chosen = load_settings(tmp_path, lab_notebook_dir=tmp_path)
    assert notebook_dir(chosen) == tmp_path


def test_lab_serves_the_notebooks_with_the_environment_kernel(
    tmp_path: Path, jupyter_env: dict[str, str]
):
    server = LabServer(NOTEBOOKS, tmp_path / "workspace", jupyter_env).start()
    try:
        assert (
            f"JupyterLab: http://127.0.0.1:{server.port}/lab?token={server.token}"
            in (server.output[0])
        )
        listing = server.get("/api/contents")
        names = {item["name"] for item in listing["content"]}
        assert {"01_getting_started.ipynb", "04_cluster.ipynb"} <= names
        specs = server.get("/api/kernelspecs")
        python = specs["kernelspecs"][specs["default"]]["spec"]
        assert python["language"] == "python"
        # The native kernel: the server starts it with its own interpreter, this environment's.
        assert python["argv"][1:3] == ["-m", "ipykernel_launcher"]
    finally:
        server.stop()
    assert server.process.returncode is not None
