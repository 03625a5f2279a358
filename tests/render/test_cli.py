"""`auteur render` and `auteur quality`; `auteur worker` runs in test_remote_cluster."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner, Result

from auteur.cli.render import app
from auteur.storage import ProjectStore


def run(*args: object) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture
def small_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded cluster the commands start: one CPU worker, no dashboard."""
    for name, value in {
        "RENDER_GPUS": "0",
        "RENDER_CPU_WORKERS": "1",
        "RENDER_WORKER_THREADS": "1",
        "RENDER_DASHBOARD_ADDRESS": "",
        "RENDER_NO_WORKER_TIMEOUT": "1",
    }.items():
        monkeypatch.setenv(f"AUTEUR_{name}", value)


def test_quality_lists_the_tiers(workspace):
    result = run("quality")
    assert result.exit_code == 0, result.output
    for text in ("auteur-flux:1.0-draft", "auteur-flux:1.0-standard", "auteur-flux:1.0-cinematic"):
        assert text in result.output
    assert "previz" in result.output
    assert (workspace.root / "Library" / "Pipeline_Templates" / "low.json").is_file()


def test_quality_of_a_project_marks_its_tier_and_overrides(film: ProjectStore):
    film.update("1/1/2", quality="high")
    result = run("quality", film.project.name)
    assert "low (project)" in result.output
    assert "high (1 shot override(s))" in result.output
    data = json.loads(run("quality", film.project.name, "--json").output)
    assert data["project"] == "low"
    assert data["tiers"]["standard"]["targetVram"] == 16
    assert data["tiers"]["low"]["fallback"]["pipelineId"] == "previz"


def test_render_needs_something_to_render(film: ProjectStore):
    result = run("render", film.project.name)
    assert result.exit_code == 1
    assert "choose what to render" in result.output


@pytest.mark.slow
def test_render_a_shot_on_the_embedded_cluster(film: ProjectStore, small_cluster: None):
    result = run("render", film.project.name, "--shot", "1/1/1", "--seed", "5")
    assert result.exit_code == 0, result.output
    assert "1 of 1 render(s) succeeded" in result.output
    film.refresh()
    take = film.locate("1/1/1").shot.takes[0]
    assert take.recipe.seed == 5 and take.recipe.pipeline_id == "previz"


@pytest.mark.slow
def test_render_exits_1_when_a_job_fails(film: ProjectStore, small_cluster: None):
    result = run("render", film.project.name, "--scene", "1/1", "--quality", "high")
    assert result.exit_code == 1
    assert "0 of 3 render(s) succeeded" in result.output
    assert "no worker can run S01_S01" in result.output


def test_render_reports_an_unreachable_scheduler(film: ProjectStore, monkeypatch):
    monkeypatch.setenv("AUTEUR_RENDER_START_TIMEOUT", "1")
    result = run("render", film.project.name, "--all", "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.output
