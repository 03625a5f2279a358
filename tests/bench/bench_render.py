"""Benchmark: the render engine's overheads, on real local clusters of worker processes.

Prints:

- dispatch overhead: 500 no-op jobs through `RenderService` (takes not written) against the same
  pipeline function run 500 times through `client.map` on the same cluster; target ratio ≤ 1.5;
- progress latency from a worker's report to the project's event bus: p50 ≤ 10 ms, p99 ≤ 50 ms;
- previz speed in frames per second at 1920x1080 (one process);
- farm scaling: 16 worker processes (8 tagged GPU) render 320 jobs that sleep 0.5 s through the
  whole path (dispatch, progress, result, a take written and committed by the single writer);
  jobs per second against the ideal 32/s; target ≥ 0.8 of ideal.

Run it with ``make bench`` or ``python tests/bench/bench_render.py [--part NAME]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the workers import the test pipelines from tests.render
    sys.path.insert(0, str(ROOT))

from auteur.config import load_settings  # noqa: E402
from auteur.model import Character, Location, Style  # noqa: E402
from auteur.render import (  # noqa: E402
    LocalContext,
    OutputSpec,
    PipelineConfig,
    RenderCluster,
    RenderJob,
    RenderService,
    WorkerSpec,
    assemble_prompt,
)
from auteur.render.pipelines.previz import render_previz  # noqa: E402
from auteur.render.service import FinishedRender  # noqa: E402
from auteur.storage import ProjectStore, Workspace  # noqa: E402
from tests.render import pipelines  # noqa: E402

DISPATCH_TARGET = 1.5
LATENCY_TARGETS = (0.010, 0.050)
SCALING_TARGET = 0.8


class DroppingSink:
    """Takes nothing: measures dispatch without take writing."""

    def write(self, batch: list[FinishedRender]) -> list:
        return [[] for _ in batch]

    def flush(self) -> None:
        pass


def noop_task(job: RenderJob) -> list:
    """The no-op pipeline, called the plain Dask way."""
    return pipelines.noop(job, LocalContext(job))


def make_film(root: Path, shots: int, scenes: int = 1) -> ProjectStore:
    settings = load_settings(root, render_dashboard_address="")
    store = Workspace(root, settings=settings).create_project("Bench Film", "low")
    store.update_project(resolution=(320, 180))
    per_scene = shots // scenes
    with store.transaction() as project:
        chapter = project.narrative.chapters[0]
        from auteur.model import Scene, Shot

        for number in range(1, scenes + 1):
            scene = Scene(number=number, title=f"Scene {number}")
            scene.shots = [Shot(number=i, description=f"shot {i}") for i in range(1, per_scene + 1)]
            chapter.scenes.append(scene)
            store.touch_scene(scene)
        store.touch_manifest()
    store.autocommit("Bench shots")
    return store


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def bench_dispatch(tmp: Path, jobs: int) -> None:
    store = make_film(tmp / "dispatch", shots=10)
    specs = [WorkerSpec(f"cpu-{i}", nthreads=1) for i in range(2)]
    shot_ids = [shot.id for _, _, shot in store.iter_shots()]
    shots = [shot_ids[i % len(shot_ids)] for i in range(jobs)]
    with RenderCluster.start(store.settings, workers=specs) as cluster:
        service = RenderService(store, cluster, sink=DroppingSink())
        noop = pipelines.config("noop")
        client = cluster.client
        # Warm both paths: worker imports, connections.
        service.wait(service.submit_shots(shots[:50], pipeline=noop), timeout=120)
        sample = [service.status(h.job_id) for h in service.submit_shots(shots[:1], pipeline=noop)]
        service.wait(timeout=60)
        ratios = []
        for _ in range(3):
            start = time.perf_counter()
            handles = service.submit_shots(shots, pipeline=noop)
            service.wait(handles, timeout=600)
            through_service = time.perf_counter() - start

            project = store.project
            prepared = [
                RenderJob(
                    job_id=f"plain-{i}",
                    project_id=project.id,
                    shot_id=sample[0].shot_id,
                    node_id=sample[0].shot_id,
                    pipeline=noop,
                    prompt={},
                    seed=i,
                    output=OutputSpec(width=320, height=180),
                )
                for i in range(jobs)
            ]
            start = time.perf_counter()
            futures = client.map(noop_task, prepared, pure=False)
            client.gather(futures)
            plain = time.perf_counter() - start
            del futures
            ratios.append((through_service / plain, through_service, plain))
        service.close()
    ratio, service_s, plain_s = sorted(ratios)[1]
    verdict = "ok" if ratio <= DISPATCH_TARGET else "OVER TARGET"
    print(
        f"dispatch overhead: {jobs} no-op jobs: RenderService {service_s:.2f} s "
        f"({jobs / service_s:.0f} jobs/s), client.map {plain_s:.2f} s ({jobs / plain_s:.0f} "
        f"jobs/s); ratio {ratio:.2f} (target <= {DISPATCH_TARGET}) {verdict}"
    )


def bench_latency(tmp: Path, reports: int) -> None:
    store = make_film(tmp / "latency", shots=2)
    specs = [WorkerSpec(f"cpu-{i}", nthreads=1) for i in range(2)]
    latencies: list[float] = []

    def on_progress(event) -> None:
        if event.step.startswith("sent "):
            latencies.append(time.time() - float(event.step[5:]))

    with RenderCluster.start(store.settings, workers=specs) as cluster:
        service = RenderService(store, cluster, sink=DroppingSink())
        store.bus.subscribe(on_progress, ["task_progress"])
        stamped = pipelines.config("stamped")
        shots = [shot.id for _, _, shot in store.iter_shots()]
        service.wait(service.submit_shots(shots, pipeline=stamped, parameters={"count": 5}), 60)
        latencies.clear()
        handles = service.submit_shots(
            shots, pipeline=stamped, parameters={"count": reports // 2, "gap": 0.01}
        )
        service.wait(handles, timeout=300)
        service.close()
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    ok = p50 <= LATENCY_TARGETS[0] and p99 <= LATENCY_TARGETS[1]
    print(
        f"progress latency: {len(latencies)} reports from 2 workers: p50 {p50 * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms (targets <= {LATENCY_TARGETS[0] * 1000:.0f} / "
        f"{LATENCY_TARGETS[1] * 1000:.0f} ms) {'ok' if ok else 'OVER TARGET'}"
    )


def bench_previz(frames: int) -> None:
    from auteur.model import Framing, Project, Scene, Shot

    project = Project(name="P")
    project.assets.characters += [Character(name="Anna"), Character(name="Ben")]
    project.assets.locations.append(Location(name="Harbour", description="fog"))
    project.assets.styles.append(Style(name="Noir", keywords=["noir"], palette=["#102030"]))
    scene = Scene(title="Dawn")
    shot = Shot(
        description="Anna meets Ben on the pier at dawn",
        framing=Framing.MEDIUM,
        characters=[c.asset_id for c in project.assets.characters],
        style=project.assets.styles[0].asset_id,
    )
    scene.shots.append(shot)
    job = RenderJob(
        job_id="job-bench",
        project_id=project.id,
        shot_id=shot.id,
        node_id=shot.id,
        pipeline=PipelineConfig(pipeline_id="previz"),
        prompt=assemble_prompt(project, scene, shot).to_data(),
        seed=1,
        output=OutputSpec(width=1920, height=1080),
    )
    render_previz(job, LocalContext(job))
    start = time.perf_counter()
    for seed in range(frames):
        render_previz(job.model_copy(update={"seed": seed}), LocalContext(job))
    elapsed = time.perf_counter() - start
    print(f"previz speed: {frames / elapsed:.1f} frames/s at 1920x1080 (PNG, one process)")


def bench_farm(tmp: Path, jobs: int, seconds: float) -> None:
    workers = 16
    store = make_film(tmp / "farm", shots=40, scenes=4)
    specs = [WorkerSpec(f"gpu-{i}", nthreads=1, resources={"GPU": 1}) for i in range(8)]
    specs += [WorkerSpec(f"cpu-{i}", nthreads=1) for i in range(workers - 8)]
    shot_ids = [shot.id for _, _, shot in store.iter_shots()]
    shots = [shot_ids[i % len(shot_ids)] for i in range(jobs)]
    settings = store.settings.model_copy(update={"render_start_timeout": 300.0})
    started = time.perf_counter()
    with RenderCluster.start(settings, workers=specs) as cluster:
        boot = time.perf_counter() - started
        service = RenderService(store, cluster)
        gpu = pipelines.config("sleep", resources={"GPU": 1})
        cpu = pipelines.config("sleep")
        warm = service.submit_shots(shot_ids[:16], pipeline=cpu, parameters={"seconds": 0.1})
        service.wait(warm, timeout=120)
        takes_before = sum(len(s.takes) for _, _, s in store.iter_shots())
        params = {"seconds": seconds, "steps": 5}
        start = time.perf_counter()
        handles = service.submit_shots(shots[: jobs // 2], pipeline=gpu, parameters=params)
        handles += service.submit_shots(shots[jobs // 2 :], pipeline=cpu, parameters=params)
        statuses = service.wait(handles, timeout=600)
        elapsed = time.perf_counter() - start
        service.close()
    failed = [s for s in statuses if s.state != "succeeded"]
    written = sum(len(s.takes) for _, _, s in store.iter_shots()) - takes_before
    ideal = workers / seconds
    rate = jobs / elapsed
    verdict = "ok" if rate / ideal >= SCALING_TARGET and not failed else "UNDER TARGET"
    print(
        f"farm scaling: {jobs} jobs of {seconds} s on {workers} workers (8 GPU-tagged, started "
        f"in {boot:.0f} s): {elapsed:.1f} s, {rate:.1f} jobs/s vs ideal {ideal:.0f}/s = "
        f"{rate / ideal:.2f} (target >= {SCALING_TARGET}); {written} takes written, "
        f"{len(failed)} failed; git clean: {store.git.is_clean()} {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part", choices=["dispatch", "latency", "previz", "farm"], action="append"
    )
    parser.add_argument("--jobs", type=int, default=500, help="no-op jobs for dispatch")
    parser.add_argument("--farm-jobs", type=int, default=320)
    args = parser.parse_args()
    parts = args.part or ["dispatch", "latency", "previz", "farm"]
    with tempfile.TemporaryDirectory(prefix="auteur-bench-render-") as folder:
        tmp = Path(folder)
        if "dispatch" in parts:
            bench_dispatch(tmp, args.jobs)
        if "latency" in parts:
            bench_latency(tmp, 1000)
        if "previz" in parts:
            bench_previz(20)
        if "farm" in parts:
            bench_farm(tmp, args.farm_jobs, 0.5)


if __name__ == "__main__":
    main()
