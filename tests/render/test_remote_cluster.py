"""A real scheduler and real workers, each its own process, reached by address."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from auteur.render import PipelineConfig, RenderCluster
from auteur.storage import ProjectStore
from tests.render.pipelines import config

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]


def _wait_for(check, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _address(scheduler_file: Path) -> str | None:
    try:
        return json.loads(scheduler_file.read_text())["address"]
    except (OSError, ValueError, KeyError):  # not written yet, or half written
        return None


@pytest.fixture(scope="module")
def scheduler_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`dask scheduler`, a plain `dask worker` and `auteur worker` with one GPU, on 127.0.0.1."""
    dask = [sys.executable, "-m", "dask"]  # the `dask` command of this environment
    folder = tmp_path_factory.mktemp("remote")
    scheduler_file = folder / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AUTEUR_WORKSPACE": str(folder / "ws")}
    names = ("scheduler", "dask-worker", "auteur-worker")
    logs = [(folder / f"{name}.log").open("w") for name in names]
    scheduler = [*dask, "scheduler", "--host", "127.0.0.1", "--port", "0"]
    scheduler += ["--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(scheduler_file)]
    processes = [subprocess.Popen(scheduler, env=env, stdout=logs[0], stderr=subprocess.STDOUT)]
    try:
        _wait_for(lambda: _address(scheduler_file), "the scheduler")
        address = _address(scheduler_file)
        processes.append(
            subprocess.Popen(
                [*dask, "worker", address, "--nthreads", "1", "--name", "plain", "--no-dashboard"],
                env=env,
                cwd=ROOT,
                stdout=logs[1],
                stderr=subprocess.STDOUT,
            )
        )
        processes.append(
            subprocess.Popen(
                [
                    *(sys.executable, "-m", "auteur.cli.render", "worker", "--scheduler", address),
                    *("--gpus", "1", "--cpu-workers", "0", "--nthreads", "1", "--name", "box"),
                ],
                env=env,
                cwd=ROOT,
                stdout=logs[2],
                stderr=subprocess.STDOUT,
            )
        )
        yield address
    finally:
        # Workers first, each to its end: a worker losing its scheduler retries for a while.
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


@pytest.fixture
def remote(scheduler_address: str, film: ProjectStore) -> Iterator[RenderCluster]:
    cluster = RenderCluster.start(film.settings, scheduler=scheduler_address)
    cluster.client.wait_for_workers(2, timeout=60)
    yield cluster
    cluster.close()


def test_the_service_renders_on_a_cluster_reached_by_address(
    film: ProjectStore, remote: RenderCluster, make_service
):
    workers = {w.name: w for w in remote.workers()}
    assert workers["box-gpu-0"].resources == {"GPU": 1}
    assert workers["plain"].resources == {}

    service = make_service(film, remote)
    assert service.shared_workspace is False  # so the inputs travel with the jobs
    assert (service.dashboard_link or "").startswith("http://127.0.0.1:")
    previz = service.submit("1/1/2", pipeline=PipelineConfig(pipeline_id="previz"), seed=3)
    gpu = service.submit("1/1/1", pipeline=config("sleep", resources={"GPU": 1}))
    statuses = service.wait([previz, gpu], timeout=60)
    assert [s.state for s in statuses] == ["succeeded", "succeeded"], statuses

    assert statuses[1].worker == workers["box-gpu-0"].address
    take = film.locate("1/1/2").shot.takes[0]
    assert take.recipe.pipeline_id == "previz"
    with Image.open(io.BytesIO((film.path / take.path).read_bytes())) as frame:
        red, _, blue = frame.convert("RGB").getpixel((3, 3))
    assert blue > red  # the harbour reference, sent to the worker with the job


def test_a_job_no_worker_of_the_cluster_can_run_names_what_is_missing(
    film: ProjectStore, remote: RenderCluster, make_service
):
    settings = film.settings.model_copy(update={"render_no_worker_timeout": 1.0})
    service = make_service(film, remote, settings=settings)
    handle = service.submit("1/1/1", pipeline=config("noop", resources={"GPU": 2}))
    status = handle.wait(30)
    assert status.state == "failed"
    assert "it needs GPU=2, and its 2 worker(s) offer GPU=1; no resources" in status.error
    assert "start a GPU worker there (auteur worker --scheduler ADDRESS)" in status.error
