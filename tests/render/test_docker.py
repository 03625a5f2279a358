"""Container pipelines on a real Docker engine (CI starts one with .ci/start-dockerd.sh)."""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from auteur.render import PipelineConfig, RenderCluster
from auteur.storage import ProjectStore
from tests.render.conftest import Recorder, take_files
from tests.support import in_ci, require_tool

docker = pytest.importorskip("docker")

pytestmark = pytest.mark.slow

IMAGE = "auteur-test-frame:dev"
IMAGE_SOURCE = Path(__file__).parents[2] / "extensions" / "pipelines" / "test-frame"


def engine_problem() -> str | None:
    """Why no Docker engine answers at DOCKER_HOST (None when one does)."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        if host.startswith("unix://"):
            with socket.socket(socket.AF_UNIX) as probe:
                probe.settimeout(10)
                probe.connect(host.removeprefix("unix://"))
        else:
            address = urlsplit(host)
            socket.create_connection((address.hostname, address.port or 2375), timeout=10).close()
    except OSError as exc:
        return f"no Docker engine answers at {host} ({exc}); start one with .ci/start-dockerd.sh"
    return None


@pytest.fixture(scope="session")
def engine() -> Iterator[object]:
    """The Docker engine of DOCKER_HOST; its absence skips the tests, or fails them in CI."""
    require_tool("docker", "container pipelines run through the Docker engine")
    problem = engine_problem()
    if problem is not None:
        if in_ci():
            pytest.fail(problem)
        pytest.skip(problem)
    client = docker.from_env()
    client.ping()
    yield client
    client.close()


@pytest.fixture(scope="session")
def frame_image(engine, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test-frame pipeline image, built from scratch with a static busybox: no registry."""
    busybox = require_tool("busybox", "the test image is built from Debian's busybox-static")
    if b"\x00/lib" in Path(busybox).read_bytes()[:4096]:  # an ELF interpreter: not static
        message = f"{busybox} is linked dynamically; install busybox-static"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    context = tmp_path_factory.mktemp("test-frame-image")
    for name in ("Dockerfile", "run.sh"):
        shutil.copy(IMAGE_SOURCE / name, context / name)
    shutil.copy(busybox, context / "busybox")
    engine.images.build(path=str(context), tag=IMAGE, rm=True, forcerm=True)
    return IMAGE


def frame(image: str, **fields: object) -> PipelineConfig:
    return PipelineConfig(pipeline_id="test-frame", runner="container", image=image, **fields)


def containers_of(engine, job_id: str, status: str | None = None) -> list[str]:
    """Ids of the containers of job `job_id`, in one call (they may vanish at any moment)."""
    filters = {"label": f"auteur.job={job_id}"} | ({"status": status} if status else {})
    return [c["Id"] for c in engine.api.containers(all=True, filters=filters)]


def test_container_progress_streams_and_its_output_becomes_a_take(
    film: ProjectStore,
    cpu_cluster: RenderCluster,
    make_service,
    recorder: Recorder,
    engine,
    frame_image: str,
):
    service = make_service(film, cpu_cluster)
    handle = service.submit(
        "1/1/3", pipeline=frame(frame_image), parameters={"steps": 4, "stepSeconds": 0.3}
    )
    status = handle.wait(60)
    assert status.state == "succeeded", status.error

    steps = [(t, e.step) for t, e in recorder.timed("task_progress", handle.job_id)]
    painted = [t for t, step in steps if step.startswith("step ")]
    assert len(painted) == 4
    finished = recorder.timed("task_success", handle.job_id)[0][0]
    assert finished - painted[0] > 0.6, "progress arrived only at the end"

    take = film.locate("1/1/3").shot.takes[0]
    assert take.path.endswith("S01_S03_take01.ppm")
    assert (film.path / take.path).read_bytes().startswith(b"P6\n320 180\n255\n")
    assert containers_of(engine, handle.job_id) == []


def test_containers_run_without_network_with_only_their_mounts_and_are_removed(
    film: ProjectStore,
    cpu_cluster: RenderCluster,
    make_service,
    recorder: Recorder,
    engine,
    frame_image: str,
):
    service = make_service(film, cpu_cluster)
    handle = service.submit(
        "1/1/1", pipeline=frame(frame_image), parameters={"steps": 10, "stepSeconds": 0.2}
    )
    # The engine lists a container while it is still being created; inspect a running one.
    recorder.wait_for(lambda: containers_of(engine, handle.job_id, "running"))
    attrs = engine.api.inspect_container(containers_of(engine, handle.job_id, "running")[0])
    host = attrs["HostConfig"]
    assert host["NetworkMode"] == "none"
    assert host["Init"] is True
    mounts = {m["Destination"]: m["RW"] for m in attrs["Mounts"]}
    assert mounts == {"/job": False, "/inputs": False, "/out": True}

    assert handle.wait(60).state == "succeeded"
    assert containers_of(engine, handle.job_id) == []


def test_cancel_kills_the_container(
    film: ProjectStore,
    cpu_cluster: RenderCluster,
    make_service,
    recorder: Recorder,
    engine,
    frame_image: str,
):
    service = make_service(film, cpu_cluster)
    handle = service.submit(
        "1/1/3", pipeline=frame(frame_image), parameters={"steps": 100, "stepSeconds": 0.1}
    )
    recorder.wait_for(lambda: handle.status.step.startswith("step "))
    handle.cancel()
    deadline = time.monotonic() + 3
    while containers_of(engine, handle.job_id):
        assert time.monotonic() < deadline, "the container still runs after cancel"
        time.sleep(0.05)
    assert handle.state == "cancelled"
    time.sleep(0.3)
    assert take_files(film) == []


def test_a_failing_container_reports_its_last_log_lines(
    film: ProjectStore,
    cpu_cluster: RenderCluster,
    make_service,
    recorder: Recorder,
    engine,
    frame_image: str,
):
    service = make_service(film, cpu_cluster)
    handle = service.submit(
        "1/1/3",
        pipeline=frame(frame_image),
        parameters={"steps": 2, "stepSeconds": 0.05, "failWith": 3},
    )
    status = handle.wait(60)
    assert status.state == "failed"
    assert f"container {frame_image} exited with status 3" in status.error
    # stdout and stderr reach the log through separate pipes: lines keep their order per stream.
    last_lines = status.error.splitlines()[-3:]
    assert "cannot paint: asked to fail with status 3" in last_lines
    assert "finished step 2" in last_lines
    assert recorder.of("task_failed", handle.job_id)[0].error == status.error
    assert containers_of(engine, handle.job_id) == []
    assert take_files(film) == []


def test_a_missing_image_is_named(
    film: ProjectStore, cpu_cluster: RenderCluster, make_service, engine
):
    service = make_service(film, cpu_cluster)
    handle = service.submit("1/1/3", pipeline=frame("auteur-nowhere:1.0"))
    status = handle.wait(60)
    assert status.state == "failed"
    assert "image auteur-nowhere:1.0 is not on the Docker engine" in status.error
