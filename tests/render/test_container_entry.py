"""The package's own entry point for container images, run as the container would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from tests.render.test_previz import FACE, ORANGE_FACE, job


def run_entry(tmp_path: Path, job_data: dict) -> tuple[subprocess.CompletedProcess[str], Path]:
    (tmp_path / "job").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "job" / "job.json").write_text(json.dumps(job_data))
    face = tmp_path / "inputs" / FACE
    face.parent.mkdir(parents=True)
    face.write_bytes(ORANGE_FACE)
    env = {
        **os.environ,
        "AUTEUR_JOB": str(tmp_path / "job" / "job.json"),
        "AUTEUR_INPUTS": str(tmp_path / "inputs"),
        "AUTEUR_OUTPUT": str(tmp_path / "out"),
    }
    done = subprocess.run(
        [sys.executable, "-u", "-m", "auteur.render.pipelines.entry"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done, tmp_path / "out"


def test_the_entry_point_runs_a_python_pipeline_by_the_contract(tmp_path: Path):
    the_job = job(characters=["char-anna"], size=(200, 100))
    data = the_job.to_data()
    data["pipeline"].update(runner="container", image="auteur-python:dev", entryPoint="previz")
    done, out = run_entry(tmp_path, data)
    assert done.returncode == 0, done.stderr

    lines = [json.loads(line) for line in done.stdout.splitlines()]
    progress = [line["progress"] for line in lines if "progress" in line]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert lines[-1]["metadata"]["width"] == 200
    [output] = sorted(out.iterdir())
    assert output.name == "output-01.png"
    with Image.open(output) as image:
        assert image.size == (200, 100)


def test_a_bad_job_file_exits_with_status_2(tmp_path: Path):
    done, _ = run_entry(tmp_path, {"jobId": "job-1"})
    assert done.returncode == 2
    assert "cannot read the job" in done.stderr


def test_a_failing_pipeline_exits_with_status_1(tmp_path: Path):
    the_job = job(fmt="exr")
    done, out = run_entry(tmp_path, the_job.to_data())
    assert done.returncode == 1
    assert "previz failed: previz cannot write 'exr' files" in done.stderr
    assert list(out.iterdir()) == []
