"""The render service on real local clusters of worker processes."""

from __future__ import annotations

import itertools
import os
import re
import signal
import time

import pytest

from auteur.model import Quality
from auteur.render import RenderCluster, RenderError
from auteur.storage import ProjectStore
from tests.render.conftest import Recorder, take_files
from tests.render.pipelines import config

pytestmark = pytest.mark.slow


def active_jobs(cluster: RenderCluster) -> dict[str, int]:
    """How many task threads each worker is running right now."""
    return cluster.client.run(lambda dask_worker: len(dask_worker.active_threads))


def test_a_low_shot_without_gpu_renders_a_previz_take(
    film: ProjectStore, cpu_cluster: RenderCluster, make_service, recorder: Recorder
):
    service = make_service(film, cpu_cluster)
    handle = service.submit("1/1/2", seed=11)
    status = handle.wait(60)

    assert status.state == "succeeded", status.error
    assert status.pipeline_id == "previz"  # the low tier's fallback: no worker has a GPU
    assert status.quality == Quality.LOW  # the project's tier, since the shot has none
    shot = film.locate("1/1/2").shot
    assert [t.id for t in shot.takes] == status.take_ids
    take = shot.takes[0]
    assert take.path == "03_Renders/Chapter_01/Scene_01/Shot_02/S01_S02_take01.png"
    assert take.metadata["width"] == 320 and take.metadata["height"] == 180
    recipe = take.recipe
    assert recipe.pipeline_id == "previz" and recipe.seed == 11
    assert "anna_v1 red coat" in recipe.prompt
    assert set(recipe.source_assets) == {
        "01_Assets/Characters/anna/base_face.png",
        "01_Assets/Characters/anna/references/left.png",
        "01_Assets/Characters/anna/lora/anna.safetensors",
        "01_Assets/Locations/harbour/dawn.png",
    }
    assert film.git.is_clean()  # the take was committed

    recorder.wait_for(lambda: recorder.of("node_state_updated", None)[-1].state == "completed")
    kinds = [e.type for _, e in recorder.events if e.type != "project_update"]
    assert kinds[:3] == ["start_generation", "node_state_updated", "task_progress"]
    assert kinds.index("take_created") < kinds.index("task_success")
    steps = [e.step for e in recorder.of("task_progress", handle.job_id)]
    assert steps[:2] == ["queued", "started"] and "characters" in steps
    success = recorder.of("task_success", handle.job_id)[0]
    assert success.result["outputPath"] == take.path
    assert success.node_id == shot.id and success.project_id == film.project.id


def test_low_quality_falls_back_only_when_no_worker_has_a_gpu(
    film: ProjectStore, gpu_cluster: RenderCluster, make_service
):
    film.update_project(quality="standard")
    film.update("1/1/1", quality="low")  # the shot overrides the project's tier
    service = make_service(film, gpu_cluster)
    # A GPU worker exists, so the tier's diffusion container is chosen; the workspace lacks
    # its model, which is said before anything is submitted.
    with pytest.raises(RenderError, match="AI_Models/stable-diffusion-v1-5 is missing"):
        service.submit("1/1/1")
    assert service.jobs() == []
    # Where only the workers hold the models, the job goes to the GPU worker (and fails
    # there, since this machine lacks the container image).
    settings = film.settings.model_copy(update={"render_check_models": False})
    handle = make_service(film, gpu_cluster, settings=settings).submit("1/1/1")
    status = handle.wait(60)
    assert status.pipeline_id == "auteur-flux:1.0-draft"
    assert status.state == "failed"


def test_gpu_jobs_run_only_on_the_gpu_worker_one_at_a_time(
    film: ProjectStore, gpu_cluster: RenderCluster, make_service
):
    service = make_service(film, gpu_cluster)
    gpu = config("sleep", resources={"GPU": 1})
    cpu = config("sleep")
    params = {"seconds": 0.4, "steps": 2}
    gpu_jobs = service.submit_shots(["1/1/1", "1/1/2", "1/1/3"], pipeline=gpu, parameters=params)
    cpu_jobs = service.submit_shots(["1/1/1", "1/1/2", "1/1/3"], pipeline=cpu, parameters=params)
    statuses = service.wait(gpu_jobs + cpu_jobs, timeout=60)
    assert [s.state for s in statuses] == ["succeeded"] * 6

    names = {w.address: w.name for w in gpu_cluster.workers()}
    gpu_runs = sorted((s.run_started, s.run_finished) for s in statuses[:3])
    assert {names[s.worker] for s in statuses[:3]} == {"gpu-0"}
    for (_, end), (start, _) in itertools.pairwise(gpu_runs):
        assert start >= end, "two GPU jobs overlapped on the GPU worker"
    assert len(film.locate("1/1/1").shot.takes) == 2


def test_no_worker_with_a_gpu_fails_clearly_within_seconds(
    film: ProjectStore, cpu_cluster: RenderCluster, make_service, recorder: Recorder
):
    service = make_service(film, cpu_cluster)
    started = time.monotonic()
    handle = service.submit("1/1/1", quality="high")
    status = handle.wait(15)
    elapsed = time.monotonic() - started

    assert status.state == "failed"
    assert elapsed < 10
    assert "no worker can run S01_S01" in status.error
    assert "needs GPU=1" in status.error and "CPU fallback (low)" in status.error
    failed = recorder.of("task_failed", handle.job_id)
    assert failed and failed[0].error == status.error
    assert recorder.of("node_state_updated")[-1].state == "error"
    assert film.locate("1/1/1").shot.takes == []


def test_cancel_stops_the_running_job_within_a_second_and_writes_no_take(
    film: ProjectStore, cpu_cluster: RenderCluster, make_service, recorder: Recorder
):
    service = make_service(film, cpu_cluster)
    handle = service.submit(
        "1/1/1", pipeline=config("sleep"), parameters={"seconds": 30, "steps": 30}
    )
    recorder.wait_for(lambda: handle.status.step.startswith("step"))
    assert sum(active_jobs(cpu_cluster).values()) == 1

    cancelled_at = time.monotonic()
    handle.cancel()
    assert handle.state == "cancelled"
    while sum(active_jobs(cpu_cluster).values()):
        assert time.monotonic() - cancelled_at < 1.0, "the job still runs on its worker"
        time.sleep(0.02)

    time.sleep(0.3)  # a late result would be written by now
    assert film.locate("1/1/1").shot.takes == []
    assert take_files(film) == []
    failed = recorder.of("task_failed", handle.job_id)
    assert len(failed) == 1 and failed[0].error == "cancelled"
    assert recorder.of("node_state_updated")[-1].state == "idle"


def test_cancel_drops_a_queued_job(film: ProjectStore, cpu_cluster: RenderCluster, make_service):
    service = make_service(film, cpu_cluster)
    sleeper = config("sleep")
    busy = service.submit_shots(
        ["1/1/1", "1/1/2"], pipeline=sleeper, parameters={"seconds": 2, "steps": 4}
    )
    queued = service.submit("1/1/3", pipeline=sleeper, parameters={"seconds": 0.1})
    queued.cancel()
    service.wait(busy, timeout=30)
    assert queued.state == "cancelled"
    assert film.locate("1/1/3").shot.takes == []


def test_a_job_whose_worker_is_killed_makes_exactly_one_take(
    film: ProjectStore, cpu_cluster: RenderCluster, make_service, recorder: Recorder
):
    service = make_service(film, cpu_cluster)
    handle = service.submit(
        "1/1/1", pipeline=config("sleep"), parameters={"seconds": 3, "steps": 6}
    )
    recorder.wait_for(lambda: handle.status.step.startswith("step"))
    victim = handle.status.worker
    pid = cpu_cluster.client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)

    status = handle.wait(60)
    assert status.state == "succeeded", status.error
    assert status.attempts == 2
    assert len(film.locate("1/1/1").shot.takes) == 1
    assert len(take_files(film)) == 1
    assert len(recorder.of("take_created")) == 1
    assert len(recorder.of("task_success", handle.job_id)) == 1
    cpu_cluster.client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker


def test_a_failing_pipeline_reports_its_error(
    film: ProjectStore, cpu_cluster: RenderCluster, make_service, recorder: Recorder
):
    service = make_service(film, cpu_cluster)
    handle = service.submit(
        "1/1/1", pipeline=config("fail"), parameters={"message": "model weights are missing"}
    )
    status = handle.wait(30)
    assert status.state == "failed"
    assert status.error == "model weights are missing"
    assert recorder.of("task_failed", handle.job_id)[0].error == "model weights are missing"
    assert film.locate("1/1/1").shot.takes == []


def test_scenes_and_whole_projects_submit_every_shot(
    film: ProjectStore, cpu_cluster: RenderCluster, make_service
):
    service = make_service(film, cpu_cluster)
    scene = service.submit_scene("1/1", pipeline=config("noop"))
    everything = service.submit_all(pipeline=config("noop"))
    assert [h.status.shot_code for h in scene] == ["S01_S01", "S01_S02", "S01_S03"]
    assert len(everything) == 3
    statuses = service.wait(scene + everything, timeout=60)
    assert {s.state for s in statuses} == {"succeeded"}
    assert [len(s.takes) for _, _, s in film.iter_shots()] == [2, 2, 2]
    assert {s.job_id for s in service.jobs()} == {h.job_id for h in scene + everything}


def test_a_missing_input_file_refuses_the_whole_submission(
    film: ProjectStore, cpu_cluster: RenderCluster, make_service
):
    (film.path / "01_Assets/Locations/harbour/dawn.png").unlink()
    service = make_service(film, cpu_cluster)
    with pytest.raises(
        RenderError, match=re.escape("01_Assets/Locations/harbour/dawn.png is missing")
    ):
        service.submit_shots(["1/1/1", "1/1/2"])
    assert service.jobs() == []
