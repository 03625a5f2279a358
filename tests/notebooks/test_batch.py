"""`auteur batch`: papermill runs a parameterised notebook headless."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from auteur.cli.lab import parse_parameters
from tests.notebooks.conftest import NOTEBOOKS

BATCH = NOTEBOOKS / "02_batch_render.ipynb"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], {}),
        (["-p", "scene", "1/1"], {"scene": "1/1"}),  # not JSON: stays text
        (["-p", "seed", "3", "--parameter", "draft", "true"], {"seed": 3, "draft": True}),
        (["-p", "project", "My Film"], {"project": "My Film"}),
        (["-p", "names", '["a", "b"]'], {"names": ["a", "b"]}),  # JSON lists are typed
    ],
)
def test_parameters_are_key_value_pairs(args, expected):
    assert parse_parameters(args) == expected


@pytest.mark.parametrize("args", [["-p", "scene"], ["--bogus", "x", "y"], ["scene", "1/1"]])
def test_malformed_parameters_are_refused(args):
    with pytest.raises(typer.BadParameter):
        parse_parameters(args)


def batch(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "auteur", "batch", str(BATCH), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_batch_runs_with_parameters_and_saves_the_copy_in_the_exports(
    tmp_path: Path, jupyter_env: dict[str, str], git_tools
):
    workspace = tmp_path / "workspace"
    args = ["-w", str(workspace), "-p", "project", "Batch Film", "-p", "scene", "1/1"]
    done = batch([*args, "-p", "quality", "low"], jupyter_env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    [copy] = (workspace / "Projects" / "Batch_Film" / "06_Exports" / "notebooks").glob("*.ipynb")
    assert f"Executed copy: {copy}" in done.stdout
    cells = json.loads(copy.read_text(encoding="utf-8"))["cells"]
    injected = next(c for c in cells if "injected-parameters" in c["metadata"].get("tags", []))
    assert "Batch Film" in "".join(injected["source"])
    outputs = json.dumps([c.get("outputs", []) for c in cells])
    assert "2 take(s) of scene 1/1 at quality low" in outputs
    assert list((workspace / "Projects" / "Batch_Film" / "03_Renders").rglob("*_take01.png"))


@pytest.mark.slow
def test_a_failing_parameter_exits_non_zero_naming_the_cell(
    tmp_path: Path, jupyter_env: dict[str, str], git_tools
):
    workspace = tmp_path / "workspace"
    args = ["-w", str(workspace), "-p", "project", "Batch Film", "-p", "scene", "9/9"]
    done = batch(args, jupyter_env, tmp_path)
    assert done.returncode == 1
    # The injected parameters cell comes after the tagged one: the render cell is the 6th.
    assert "cell 6 (execution count 4) failed: StoreError: no chapter 9" in done.stderr
    assert "Executed copy:" in done.stderr
    copies = list((workspace / "Projects" / "Batch_Film" / "06_Exports" / "notebooks").iterdir())
    assert len(copies) == 1  # the failed run is kept, to read what went wrong


def test_batch_needs_a_project_or_an_output(tmp_path: Path, jupyter_env: dict[str, str]):
    done = batch(["-w", str(tmp_path / "workspace")], jupyter_env, tmp_path)
    assert done.returncode == 2
    assert "-p project NAME" in done.stderr
