"""Renders from a notebook: blocking and awaitable, returning the new takes, with progress."""

from __future__ import annotations

import asyncio

import pytest

from auteur.notebook import Film, TakeList
from auteur.notebook._progress import RenderProgress
from auteur.render import RenderError
from auteur.storage import StoreError

pytestmark = pytest.mark.slow


def test_render_blocks_and_returns_the_takes_then_render_async_awaits_them(film: Film):
    takes = film.render("1/1")  # both shots of the scene, on an embedded cluster
    assert isinstance(takes, TakeList)
    assert takes.codes == ["S01_S01", "S01_S02"]
    assert all((film.path / take.path).is_file() for take in takes)
    assert takes[0].number == 3  # shot 1/1/1 had two takes already
    assert film.item("1/1/2").takes[0].id == takes[1].id

    more = asyncio.run(film.render_async("1/1/2", seed=7))
    assert [t.recipe.seed for t in more] == [7]
    assert [t.number for t in film.item("1/1/2").takes] == [1, 2]

    with pytest.raises(StoreError, match="no chapter 9"):
        film.render("9/9")


def test_a_failed_render_raises_naming_the_shot(film: Film):
    with pytest.raises(RenderError, match="S01_S02"):
        film.render("1/1/2", quality="high")  # no worker here can run that tier


def test_progress_widget_follows_the_jobs():
    pytest.importorskip("ipywidgets")
    from auteur.render import JobStatus

    def status(job_id, state, progress, step="", error=None):
        return JobStatus(
            job_id=job_id,
            shot_id="shot",
            node_id="shot",
            pipeline_id="previz",
            state=state,
            progress=progress,
            step=step,
            error=error,
            submitted_at=0.0,
        )

    view = RenderProgress({"job-1": "S01_S01", "job-2": "S01_S02"})
    view.update([status("job-1", "running", 0.5, "drawing"), status("job-2", "queued", 0.0)])
    assert view._bars["job-1"].value == 0.5 and "50% drawing" in view._steps["job-1"].value
    assert "0 of 2" in view.summary.value
    view.update([status("job-1", "succeeded", 1.0), status("job-2", "failed", 0.2, error="boom")])
    assert view._bars["job-1"].bar_style == "success"
    assert view._bars["job-2"].bar_style == "danger" and "boom" in view._steps["job-2"].value
    assert "2 of 2" in view.summary.value
    assert RenderProgress({"job-1": "S01_S01"}, show=False).widget is None
