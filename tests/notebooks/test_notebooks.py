"""Every notebook in notebooks/ runs under nbval (lax) against a temporary workspace."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.notebooks.conftest import NOTEBOOKS

pytestmark = pytest.mark.slow

EXPECTED = {
    "01_getting_started.ipynb",
    "02_batch_render.ipynb",
    "03_character_workflow.ipynb",
    "04_cluster.ipynb",
}


def test_the_notebooks_are_there_short_explained_and_saved_without_outputs():
    assert {p.name for p in NOTEBOOKS.glob("*.ipynb")} == EXPECTED
    for path in NOTEBOOKS.glob("*.ipynb"):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert len(code) <= 12, f"{path.name} is not short"
        assert any(c["cell_type"] == "markdown" for c in cells), f"{path.name} explains nothing"
        assert all(not c["outputs"] for c in code), f"{path.name} was saved with outputs"


def test_batch_notebook_has_a_papermill_parameters_cell():
    cells = json.loads((NOTEBOOKS / "02_batch_render.ipynb").read_text(encoding="utf-8"))["cells"]
    [parameters] = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    source = "".join(parameters["source"])
    for name in ("project", "scene", "quality"):
        assert f"{name} = " in source


def test_every_notebook_runs_under_nbval(tmp_path: Path, jupyter_env: dict[str, str], git_tools):
    env = {**jupyter_env, "AUTEUR_WORKSPACE": str(tmp_path / "workspace")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            str(NOTEBOOKS),
            "-p",
            "no:cacheprovider",
            "-q",
            "-o",
            "addopts=",
            "-W",
            "ignore",
            "--rootdir",
            str(tmp_path),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=420,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert "passed" in done.stdout and "failed" not in done.stdout
    # 01 and 02 share "My Film"; the character and cluster notebooks make their own.
    projects = {p.name for p in (tmp_path / "workspace" / "Projects").iterdir()}
    assert {"My_Film", "Character_Workflow", "Cluster_Demo"} <= projects
