"""The render service: the bridge between a project and the cluster.

It turns shots into render jobs, submits them, relays the workers' progress to the project's
event bus and turns results into takes through the take store. It is the single writer: workers
only return bytes and metadata.

Threads: progress arrives on the Dask client's IO loop and is handed to a publisher thread,
which delivers every event of this service to the bus in order; finished jobs are handed to a
writer thread, which gathers their results and writes their takes in batches, committing them
whenever no job is left running (and every ``take_commit_batch`` takes); a watchdog thread
fails jobs that no worker can run. Bus handlers should return quickly and must not wait for
render jobs.

Cancelling is cooperative for Python pipelines (`JobContext.cancelled`, `JobContext.sleep`) and
a kill for containers: the service tells every worker, so a job starting just then stops too.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import queue
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from distributed import Future, KilledWorker
from pydantic import Field

from ..config import Settings
from ..model import (
    Character,
    NodeStateUpdatedEvent,
    Project,
    Quality,
    Recipe,
    StartGenerationEvent,
    Take,
    TaskFailedEvent,
    TaskProgressEvent,
    TaskSuccessEvent,
    new_id,
    utcnow,
)
from ..model._base import CamelModel
from ..storage import ProjectStore
from .cluster import RenderCluster
from .contract import (
    JobCancelled,
    JobInput,
    JobResult,
    OutputSpec,
    PipelineConfig,
    PipelineError,
    RenderJob,
)
from .dispatcher import Dispatcher, offers
from .pipelines.diffusion import check_before_submit
from .prompt import CompositePrompt, assemble_prompt, character_prompt
from .tasks import JobChannel, cancel_here, run_render_job

__all__ = [
    "RENDER_EVENTS",
    "FinishedRender",
    "JobState",
    "JobStatus",
    "RenderError",
    "RenderHandle",
    "RenderService",
    "ResultSink",
    "TakeSink",
]

log = logging.getLogger(__name__)

#: The event types a render service publishes on the project's bus.
RENDER_EVENTS = (
    "start_generation",
    "node_state_updated",
    "task_progress",
    "task_success",
    "task_failed",
)

JobState = Literal["queued", "running", "succeeded", "failed", "cancelled"]
_TERMINAL = ("succeeded", "failed", "cancelled")
_STOP = object()
_FLUSH = "flush"  # not a job id: job ids start with "job-"


class RenderError(RuntimeError):
    """A render could not be submitted; the message says why."""


class JobStatus(CamelModel):
    """Where a render job stands. A snapshot: ask the service again for news."""

    job_id: str
    shot_id: str
    node_id: str
    shot_code: str = ""
    quality: Quality | None = None
    pipeline_id: str
    state: JobState = "queued"
    progress: float = 0.0
    step: str = ""
    error: str | None = None
    worker: str | None = Field(default=None, description="Address of the worker running it.")
    attempts: int = Field(default=0, description="Times a worker started it.")
    take_ids: list[str] = Field(default_factory=list)
    take_paths: list[str] = Field(default_factory=list)
    submitted_at: float
    started_at: float | None = None
    result_at: float | None = Field(default=None, description="When its result reached here.")
    finished_at: float | None = None
    run_started: float | None = Field(default=None, description="Pipeline start, worker clock.")
    run_finished: float | None = None

    @property
    def done(self) -> bool:
        return self.state in _TERMINAL


@dataclass(frozen=True)
class FinishedRender:
    """A job whose result came back, ready to become takes."""

    job: RenderJob
    result: JobResult
    recipe: Recipe


class ResultSink(Protocol):
    """Turns finished renders into takes."""

    def write(self, batch: list[FinishedRender]) -> list[list[Take] | Exception]:
        """Write each render's outputs; return its takes, or the error that stopped it."""
        ...

    def flush(self) -> None:
        """Make what was written durable: called when no job is left running."""
        ...


class TakeSink:
    """Writes takes through the project's take store.

    With ``auto_commit`` the takes are committed every ``take_commit_batch`` takes and whenever
    the render service has no job left running.
    """

    def __init__(self, store: ProjectStore) -> None:
        self.store = store

    #: Takes registered in one transaction: fewer project writes, a short hold of its lock.
    chunk = 32

    def write(self, batch: list[FinishedRender]) -> list[list[Take] | Exception]:
        written: list[list[Take] | Exception] = []
        for start in range(0, len(batch), self.chunk):
            chunk = batch[start : start + self.chunk]
            try:
                with self.store.transaction():
                    results = [self._write_one(item) for item in chunk]
            except Exception as exc:  # the project files could not be written
                log.exception("could not register %d take(s)", len(chunk))
                results = [exc] * len(chunk)
            written += results
        settings = self.store.settings
        if settings.auto_commit and self.store.takes.pending >= settings.take_commit_batch:
            self.flush()
        return written

    def flush(self) -> None:
        """Commit the takes written so far, when the settings ask for commits."""
        if not self.store.settings.auto_commit:
            return
        try:
            self.store.takes.commit_pending()
        except Exception:
            log.exception("takes were saved but could not be committed")

    def _write_one(self, item: FinishedRender) -> list[Take] | Exception:
        recipe = item.recipe.model_copy(update={"generated_at": utcnow()})
        try:
            # Several outputs of one job are takes of the same render.
            return [
                self.store.takes.add_take(
                    item.job.shot_id,
                    output.data,
                    _with_pipeline_facts(recipe, output.metadata),
                    ext=output.ext,
                    node_id=item.job.node_id,
                    commit=False,
                )
                for output in item.result.outputs
            ]
        except Exception as exc:
            log.exception("could not save the takes of job %s", item.job.job_id)
            return exc


def _with_pipeline_facts(recipe: Recipe, metadata: dict[str, Any]) -> Recipe:
    """The recipe with what the pipeline reports it used (model digest, scheduler...) added
    to its parameters, so the take can be reproduced."""
    facts = metadata.get("recipe")
    if not isinstance(facts, dict) or not facts:
        return recipe
    return recipe.model_copy(update={"parameters": {**recipe.parameters, **facts}})


def _new_record(job: RenderJob, prompt: Any, params: dict[str, Any], subject: str) -> _Record:
    """The record of a job about to be sent: its recipe and its status."""
    recipe = Recipe(
        pipeline_id=job.pipeline.pipeline_id,
        quality=job.quality,
        prompt=prompt.text,
        composite_prompt=prompt.to_data(),
        seed=job.seed,
        parameters=params,
        source_assets={item.path: item.sha256 for item in job.inputs},
    )
    status = JobStatus(
        job_id=job.job_id,
        shot_id=subject,
        node_id=job.node_id,
        shot_code=prompt.shot_code,
        quality=job.quality,
        pipeline_id=job.pipeline.pipeline_id,
        submitted_at=time.time(),
    )
    return _Record(job=job, recipe=recipe, status=status)


@dataclass
class _Record:
    job: RenderJob
    recipe: Recipe
    status: JobStatus
    future: Future | None = None
    takes: list[Take] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    no_worker_since: float | None = None
    input_keys: list[str] = field(default_factory=list)
    #: For a picture of a character: its kind (``face``, ``expression``...) and name.
    portrait: tuple[str, str] | None = None


class RenderHandle:
    """A submitted render job: its status, its takes, waiting and cancelling."""

    def __init__(self, service: RenderService, job_id: str) -> None:
        self._service = service
        self.job_id = job_id

    @property
    def status(self) -> JobStatus:
        return self._service.status(self.job_id)

    @property
    def state(self) -> JobState:
        return self.status.state

    @property
    def takes(self) -> list[Take]:
        """The takes this job produced (empty until it succeeded)."""
        return self._service.takes(self.job_id)

    def done(self) -> bool:
        return self.status.done

    def wait(self, timeout: float | None = None) -> JobStatus:
        """Block until the job ended; raise TimeoutError after `timeout` seconds."""
        return self._service.wait([self], timeout)[0]

    def cancel(self) -> None:
        """Stop the job: it never becomes a take."""
        self._service.cancel(self.job_id)

    def __repr__(self) -> str:
        status = self.status
        return f"<RenderHandle {status.shot_code or status.shot_id} {status.state}>"


class RenderService:
    """Renders a project's shots on a cluster and turns the results into takes."""

    def __init__(
        self,
        store: ProjectStore,
        cluster: RenderCluster | None = None,
        *,
        settings: Settings | None = None,
        dispatcher: Dispatcher | None = None,
        sink: ResultSink | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or store.settings
        self.dispatcher = dispatcher or Dispatcher.from_settings(self.settings)
        self._owns_cluster = cluster is None
        self.cluster = cluster or RenderCluster.start(self.settings)
        self.client = self.cluster.client
        self.sink = sink or TakeSink(store)
        shared = self.settings.render_shared_workspace
        self.shared_workspace = self.cluster.cluster is not None if shared is None else shared
        ident = uuid.uuid4().hex[:12]
        self.channel = JobChannel(
            topic=f"auteur-progress-{ident}",
            progress_interval=self.settings.render_progress_interval,
        )
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._records: dict[str, _Record] = {}
        self._inputs: dict[str, tuple[Future, int]] = {}
        self._hashes: dict[Path, tuple[tuple[int, int], str]] = {}
        self._events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._publish_loop, name="auteur-render-events", daemon=True),
            threading.Thread(target=self._write_loop, name="auteur-render-writer", daemon=True),
            threading.Thread(target=self._watch_loop, name="auteur-render-watchdog", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        self.client.subscribe_topic(self.channel.topic, self._on_progress)
        # Full garbage collections walk every object of the process (the client, Dask, the
        # project) and hold up progress delivery meanwhile. What exists now lives as long as
        # the session: leave it out of them.
        gc.freeze()

    # ------------------------------------------------------------ submitting

    def submit(
        self,
        shot: str,
        *,
        quality: Quality | str | None = None,
        seed: int | None = None,
        parameters: dict[str, Any] | None = None,
        node_id: str | None = None,
        pipeline: PipelineConfig | None = None,
    ) -> RenderHandle:
        """Render one shot (an address such as ``1/2/3`` or its id); return its handle.

        `quality` overrides the shot's and the project's tier; `pipeline` bypasses the
        dispatcher altogether; `node_id` names the canvas node the render belongs to.
        """
        return self.submit_shots(
            [shot],
            quality=quality,
            seed=seed,
            parameters=parameters,
            node_id=node_id,
            pipeline=pipeline,
        )[0]

    def submit_scene(self, scene: str, **options: Any) -> list[RenderHandle]:
        """Render every shot of a scene (an address such as ``1/2`` or its id)."""
        found = self.store.locate(scene, "scene")
        assert found.scene is not None
        return self.submit_shots([shot.id for shot in found.scene.shots], **options)

    def submit_all(self, **options: Any) -> list[RenderHandle]:
        """Render every shot of the project, in story order."""
        return self.submit_shots([shot.id for _, _, shot in self.store.iter_shots()], **options)

    def submit_shots(
        self,
        shots: Iterable[str],
        *,
        quality: Quality | str | None = None,
        seed: int | None = None,
        parameters: dict[str, Any] | None = None,
        node_id: str | None = None,
        pipeline: PipelineConfig | None = None,
    ) -> list[RenderHandle]:
        """Render several shots; nothing is submitted unless every one of them can be."""
        if self._closed:
            raise RenderError("the render service is closed")
        self.store.refresh()
        project = self.store.project
        capabilities = None if pipeline is not None else self.cluster.worker_resources()
        prepared = [
            self._prepare(
                project, address, quality, seed, parameters, node_id, pipeline, capabilities
            )
            for address in shots
        ]
        return self._launch(prepared)

    def submit_character(
        self,
        character: str,
        *,
        kind: str = "face",
        name: str = "",
        quality: Quality | str | None = None,
        seed: int | None = None,
        parameters: dict[str, Any] | None = None,
        pipeline: PipelineConfig | None = None,
    ) -> RenderHandle:
        """Render a picture of a character (its id or name) and file it on the character.

        `kind` ``face`` makes its base face; any other kind (``expression``, ``pose``...) with
        a `name` (``happy``) makes a variation, which emits `character_variation_generated`.
        """
        if self._closed:
            raise RenderError("the render service is closed")
        if kind != "face" and not name.strip():
            raise RenderError(f"a {kind} variation needs a name, such as 'happy'")
        self.store.refresh()
        project = self.store.project
        found = next(
            (
                c
                for c in project.assets.characters
                if character in (c.asset_id, c.name) or c.name.casefold() == character.casefold()
            ),
            None,
        )
        if found is None:
            raise RenderError(f"no character named {character!r}")
        tier = Quality(quality) if quality else project.quality
        capabilities = None if pipeline is not None else self.cluster.worker_resources()
        config = pipeline or self.dispatcher.config_for(tier, capabilities)
        prompt = character_prompt(found, kind, name.strip())
        record = self._record(project, found, prompt, tier, config, seed, parameters)
        record.portrait = (kind, name.strip())
        return self._launch([record])[0]

    def _record(
        self,
        project: Project,
        character: Character,
        prompt: CompositePrompt,
        tier: Quality,
        config: PipelineConfig,
        seed: int | None,
        parameters: dict[str, Any] | None,
    ) -> _Record:
        side = min(project.settings.resolution)
        params = {**config.parameters, **(parameters or {})}
        inputs = [self._input(path) for path in prompt.resource_paths()]
        job = RenderJob(
            job_id=new_id("job"),
            project_id=project.id,
            shot_id=character.asset_id,
            node_id=character.asset_id,
            shot_code=prompt.shot_code,
            quality=tier,
            pipeline=config,
            prompt=prompt.to_data(),
            parameters=params,
            seed=secrets.randbelow(2**31) if seed is None else seed,
            output=OutputSpec(width=side, height=side, format=str(params.get("format", "png"))),
            inputs=inputs,
            project_root=str(self.store.path) if self.shared_workspace else None,
        )
        self._check(job, None)
        return _new_record(job, prompt, params, subject=character.asset_id)

    def _check(self, job: RenderJob, capabilities: list[dict[str, float]] | None) -> None:
        """Refuse a job whose model or LoRA is missing or unfitting, before any worker time.

        A job no worker can take is left to fail as such: that is what to fix first.
        """
        if not self.settings.render_check_models:
            return
        needs = job.pipeline.resources
        if needs:
            if capabilities is None:
                capabilities = self.cluster.worker_resources()
            if not any(offers(worker, needs) for worker in capabilities):
                return
        try:
            check_before_submit(job, self.store.path, self.settings.workspace)
        except PipelineError as exc:
            raise RenderError(f"cannot render {job.shot_code or job.node_id}: {exc}") from None

    def _launch(self, prepared: list[_Record]) -> list[RenderHandle]:
        """Send prepared jobs to the cluster, grouped by the resources they need."""
        if not prepared:
            return []
        attached = self._attach_inputs(prepared)
        groups: dict[tuple[tuple[str, float], ...], list[_Record]] = {}
        for record in prepared:
            groups.setdefault(tuple(sorted(record.job.pipeline.resources.items())), []).append(
                record
            )
        with self._lock:
            for record in prepared:
                self._records[record.job.job_id] = record
        for record in prepared:
            self._announce(record)
        try:
            for resources, records in groups.items():
                futures = self.client.map(
                    run_render_job,
                    [r.job for r in records],
                    [attached.get(r.job.job_id) for r in records],
                    channel=self.channel,
                    key=[f"auteur-render-{r.job.job_id}" for r in records],
                    resources=dict(resources) or None,
                    pure=False,
                )
                for record, future in zip(records, futures, strict=True):
                    record.future = future
                    future.add_done_callback(
                        lambda _f, job_id=record.job.job_id: self._results.put(job_id)
                    )
        except Exception as exc:  # the scheduler went away
            for record in prepared:
                if record.future is None:
                    self._finish(record, "failed", error=f"could not reach the cluster: {exc}")
            raise RenderError(f"could not submit the renders: {exc}") from exc
        return [RenderHandle(self, record.job.job_id) for record in prepared]

    def _prepare(
        self,
        project: Project,
        address: str,
        quality: Quality | str | None,
        seed: int | None,
        parameters: dict[str, Any] | None,
        node_id: str | None,
        pipeline: PipelineConfig | None,
        capabilities: list[dict[str, float]] | None,
    ) -> _Record:
        found = self.store.locate(address, "shot")
        assert found.scene is not None and found.shot is not None
        shot = found.shot
        tier = Dispatcher.quality_for(project, shot, quality)
        config = pipeline or self.dispatcher.config_for(tier, capabilities)
        try:
            prompt = assemble_prompt(project, found.scene, shot)
        except ValueError as exc:
            raise RenderError(str(exc)) from None
        inputs = [self._input(path) for path in prompt.resource_paths()]
        params = {**config.parameters, **(parameters or {})}
        job = RenderJob(
            job_id=new_id("job"),
            project_id=project.id,
            shot_id=shot.id,
            node_id=node_id or shot.id,
            shot_code=prompt.shot_code,
            quality=tier,
            pipeline=config,
            prompt=prompt.to_data(),
            parameters=params,
            seed=secrets.randbelow(2**31) if seed is None else seed,
            output=OutputSpec(
                width=project.settings.resolution[0],
                height=project.settings.resolution[1],
                format=str(params.get("format", "png")),
                fps=project.settings.fps,
                frames=shot.duration,
            ),
            inputs=inputs,
            project_root=str(self.store.path) if self.shared_workspace else None,
        )
        self._check(job, capabilities)
        return _new_record(job, prompt, params, subject=shot.id)

    def _input(self, relative: str) -> JobInput:
        path = self.store.path / relative
        try:
            stat = path.stat()
        except OSError:
            raise RenderError(f"input file {relative} is missing from the project") from None
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._hashes.get(path)
        if cached is None or cached[0] != key:
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            cached = (key, digest.hexdigest())
            self._hashes[path] = cached
        return JobInput(path=relative, sha256=cached[1], size=stat.st_size)

    def _attach_inputs(self, records: list[_Record]) -> dict[str, dict[str, Future]]:
        """Send input files to the cluster once each, when workers cannot read the workspace."""
        if self.shared_workspace:
            return {}
        attached: dict[str, dict[str, Future]] = {}
        with self._lock:
            missing = {
                item.sha256: item.path
                for record in records
                for item in record.job.inputs
                if item.sha256 not in self._inputs
            }
        if missing:
            data = {
                f"auteur-input-{sha}": (self.store.path / path).read_bytes()
                for sha, path in missing.items()
            }
            futures = self.client.scatter(data, hash=False)
            with self._lock:
                for key, future in futures.items():
                    self._inputs[key.removeprefix("auteur-input-")] = (future, 0)
        with self._lock:
            for record in records:
                shas = sorted({item.sha256 for item in record.job.inputs})
                if not shas:
                    continue
                for sha in shas:
                    future, count = self._inputs[sha]
                    self._inputs[sha] = (future, count + 1)
                record.input_keys = shas
                attached[record.job.job_id] = {sha: self._inputs[sha][0] for sha in shas}
        return attached

    def _release_inputs(self, record: _Record) -> None:
        with self._lock:
            for sha in record.input_keys:
                future, count = self._inputs.get(sha, (None, 0))
                if count <= 1:
                    self._inputs.pop(sha, None)
                else:
                    self._inputs[sha] = (future, count - 1)  # type: ignore[assignment]
            record.input_keys = []

    def _announce(self, record: _Record) -> None:
        job = record.job
        self._emit(
            StartGenerationEvent(
                node_id=job.node_id,
                node_type="shot",
                parameters={
                    "jobId": job.job_id,
                    "shotId": job.shot_id,
                    "quality": job.quality.value if job.quality else None,
                    "pipelineId": job.pipeline.pipeline_id,
                    "seed": job.seed,
                },
            )
        )
        self._emit(NodeStateUpdatedEvent(node_id=job.node_id, state="generating", progress=0.0))
        self._emit(
            TaskProgressEvent(
                task_id=job.job_id,
                node_id=job.node_id,
                progress=0.0,
                step="queued",
                status="pending",
            )
        )

    # ------------------------------------------------------------ status

    def status(self, job_id: str) -> JobStatus:
        """The status of job `job_id` now."""
        with self._lock:
            record = self._records.get(job_id)
            if record is None:
                raise KeyError(f"no render job {job_id!r} in this session")
            return record.status.model_copy(deep=True)

    def jobs(self) -> list[JobStatus]:
        """Every job of this session, oldest first."""
        with self._lock:
            return [r.status.model_copy(deep=True) for r in self._records.values()]

    def takes(self, job_id: str) -> list[Take]:
        """The takes job `job_id` produced."""
        with self._lock:
            return list(self._records[job_id].takes)

    def wait(
        self, handles: Iterable[RenderHandle] | None = None, timeout: float | None = None
    ) -> list[JobStatus]:
        """Block until the jobs (all of this session's by default) ended; return their status."""
        ids = [h.job_id for h in handles] if handles is not None else list(self._records)
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while True:
                pending = [i for i in ids if not self._records[i].done.is_set()]
                if not pending:
                    return [self._records[i].status.model_copy(deep=True) for i in ids]
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"{len(pending)} render job(s) still running")
                self._changed.wait(left)

    @property
    def dashboard_link(self) -> str | None:
        """The Dask dashboard of the cluster, for the studio and the command line."""
        return self.cluster.dashboard_link

    # ------------------------------------------------------------ cancelling

    def cancel(self, job_id: str) -> None:
        """Stop a job: queued jobs are dropped, running ones stopped; no take is written."""
        self.cancel_many([job_id])

    def cancel_many(self, job_ids: Iterable[str]) -> None:
        """Cancel several jobs at once."""
        with self._lock:
            records = [self._records[i] for i in job_ids if i in self._records]
            records = [r for r in records if not r.status.done]
        if not records:
            return
        futures = [r.future for r in records if r.future is not None]
        for record in records:
            # Finished first, so that no result arriving from here on becomes a take.
            self._finish(record, "cancelled", error="cancelled")
        self._flush_when_idle()
        ids = [r.job.job_id for r in records]
        try:
            # Every worker hears it: a queued job may be starting on any of them right now.
            self.client.run(cancel_here, ids, on_error="ignore")
            self.client.cancel(futures)
        except Exception as exc:  # the cluster is gone: nothing runs there any more
            log.warning("could not tell the cluster to stop %d job(s): %s", len(ids), exc)

    def cancel_all(self) -> None:
        """Cancel every job that has not ended."""
        self.cancel_many([s.job_id for s in self.jobs() if not s.done])

    # ------------------------------------------------------------ progress

    def _on_progress(self, event: tuple[float, dict[str, Any]]) -> None:
        # Runs on the client's IO loop: update the record and hand over, nothing slow.
        _, message = event
        with self._lock:
            record = self._records.get(message.get("job", ""))
            if record is None or record.status.done:
                return
            status = record.status
            progress = float(message.get("progress", 0.0))
            step = str(message.get("step", ""))
            if step == "started":
                status.attempts += 1
                status.started_at = status.started_at or time.time()
            status.state = "running"
            status.worker = message.get("worker")
            status.progress = progress
            status.step = step
            job = record.job
        self._emit(
            TaskProgressEvent(
                task_id=job.job_id,
                node_id=job.node_id,
                progress=progress,
                step=step,
                status="running",
            )
        )

    # ------------------------------------------------------------ results

    def _write_loop(self) -> None:
        while True:
            item = self._results.get()
            if item is _STOP:
                return
            batch = [item]
            while True:
                try:
                    more = self._results.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    self._results.put(_STOP)
                    break
                batch.append(more)
            try:
                self._finish_batch([i for i in batch if i is not _FLUSH])
            except Exception:
                log.exception("render results could not be handled")

    def _finish_batch(self, job_ids: list[str]) -> None:
        """Turn finished jobs into outcomes, write their takes, then announce them.

        When no other job is left running, the takes are flushed (committed) before the
        outcomes are announced, so that a waiter wakes up to a committed project.
        """
        with self._lock:
            # Futures taken now: a cancel from another thread lets go of them.
            records = [self._records[i] for i in dict.fromkeys(job_ids)]
            pending = [(r, r.future) for r in records if not r.status.done and r.future]
        outcomes: list[tuple[_Record, JobState, str | None]] = []
        finished: list[tuple[_Record, Future]] = []
        for record, future in pending:
            if future.status == "finished":
                finished.append((record, future))
            elif future.status == "error":
                outcomes.append((record, *self._failure(future.exception())))
            elif future.status == "cancelled":
                outcomes.append((record, "failed", "the cluster dropped the job"))
        results, failures = self._gather(finished)
        outcomes += failures
        if results:
            outcomes += self._write(results)
        handled = {id(record) for record, _, _ in outcomes}
        with self._lock:
            idle = all(r.status.done or id(r) in handled for r in self._records.values())
        if idle:
            self.sink.flush()
        for record, state, error in outcomes:
            self._finish(record, state, error)

    def _gather(
        self, finished: list[tuple[_Record, Future]]
    ) -> tuple[list[tuple[_Record, JobResult]], list[tuple[_Record, JobState, str | None]]]:
        """Fetch the results of finished jobs, all in one go when possible."""
        if not finished:
            return [], []
        failures: list[tuple[_Record, JobState, str | None]] = []
        try:
            results = self.client.gather([future for _, future in finished])
            pairs = [
                (record, result) for (record, _), result in zip(finished, results, strict=True)
            ]
        except Exception:
            pairs = []
            for record, future in finished:
                try:
                    pairs.append((record, future.result()))
                except Exception as exc:
                    failures.append((record, *self._failure(exc)))
        now = time.time()
        with self._lock:
            for record, _ in pairs:
                record.status.result_at = now
        return pairs, failures

    def _write(
        self, results: list[tuple[_Record, JobResult]]
    ) -> list[tuple[_Record, JobState, str | None]]:
        with self._lock:
            # A job cancelled after its result came back makes no take.
            results = [(r, result) for r, result in results if not r.status.done]
        outcomes: list[tuple[_Record, JobState, str | None]] = [
            self._file_portrait(r, result) for r, result in results if r.portrait is not None
        ]
        results = [(r, result) for r, result in results if r.portrait is None]
        batch = [FinishedRender(r.job, result, r.recipe) for r, result in results]
        written = self.sink.write(batch) if batch else []
        for (record, result), takes in zip(results, written, strict=True):
            with self._lock:
                record.status.run_started = result.started
                record.status.run_finished = result.finished
                record.status.worker = result.worker or record.status.worker
            if isinstance(takes, Exception):
                outcomes.append((record, "failed", f"the take could not be saved: {takes}"))
            else:
                record.takes = list(takes)
                outcomes.append((record, "succeeded", None))
        return outcomes

    def _file_portrait(
        self, record: _Record, result: JobResult
    ) -> tuple[_Record, JobState, str | None]:
        """File a character's rendered picture: its base face, or a variation."""
        assert record.portrait is not None
        kind, name = record.portrait
        with self._lock:
            record.status.run_started = result.started
            record.status.run_finished = result.finished
            record.status.worker = result.worker or record.status.worker
        if not result.outputs:
            return record, "failed", "the pipeline produced no picture"
        output = result.outputs[0]
        character = record.job.shot_id
        try:
            if kind == "face":
                spec = (f"base_face.{output.ext}", output.data)
                self.store.assets.set_base_face(character, spec)
            else:
                spec = (f"{kind}_{name}.{output.ext}", output.data)
                self.store.assets.add_variation(character, kind, name, spec, replace=True)
        except Exception as exc:
            log.exception("could not file the picture of job %s", record.job.job_id)
            return record, "failed", f"the picture could not be saved: {exc}"
        return record, "succeeded", None

    @staticmethod
    def _failure(exc: BaseException | None) -> tuple[JobState, str]:
        if isinstance(exc, JobCancelled):
            return "cancelled", "cancelled"
        if isinstance(exc, KilledWorker):
            return "failed", (
                f"the workers running it died too often ({exc}); the job may crash its worker "
                "or need more memory than a worker has"
            )
        return "failed", str(exc) or type(exc).__name__

    def _flush_when_idle(self) -> None:
        """Ask the writer to commit once nothing runs any more (after a cancel or a failure)."""
        with self._lock:
            idle = all(r.status.done for r in self._records.values())
        if idle:
            self._results.put(_FLUSH)

    def _finish(self, record: _Record, state: JobState, error: str | None = None) -> None:
        job = record.job
        with self._lock:
            status = record.status
            if status.done:
                return
            status.state = state
            status.error = error
            status.finished_at = time.time()
            if state == "succeeded":
                status.progress = 1.0
                status.step = "done"
                status.take_ids = [t.id for t in record.takes]
                status.take_paths = [t.path for t in record.takes]
            # Letting go of the future frees its result in the workers' memory.
            record.future = None
        self._release_inputs(record)
        if state == "succeeded":
            paths = [t.path for t in record.takes]
            self._emit(
                TaskSuccessEvent(
                    task_id=job.job_id,
                    node_id=job.node_id,
                    result={
                        "outputPath": paths[0] if paths else None,
                        "takePaths": paths,
                        "takeIds": [t.id for t in record.takes],
                        "shotId": job.shot_id,
                        "worker": status.worker,
                    },
                )
            )
            self._emit(NodeStateUpdatedEvent(node_id=job.node_id, state="completed", progress=1.0))
        else:
            self._emit(
                TaskFailedEvent(task_id=job.job_id, node_id=job.node_id, error=error or state)
            )
            node_state = "idle" if state == "cancelled" else "error"
            self._emit(NodeStateUpdatedEvent(node_id=job.node_id, state=node_state))
        # Waiters wake once the job's last events are delivered, not before.
        self._events.put(lambda: self._settle(record))

    def _settle(self, record: _Record) -> None:
        record.done.set()
        with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------ no-worker watchdog

    def _watch_loop(self) -> None:
        interval = min(1.0, self.settings.render_no_worker_timeout / 4)
        while not self._stop.wait(interval):
            try:
                self._check_runnable()
            except Exception as exc:
                if not self._stop.is_set():
                    log.warning("could not check the render jobs' state: %s", exc)

    def _check_runnable(self) -> None:
        with self._lock:
            waiting = [
                (r, r.future) for r in self._records.values() if not r.status.done and r.future
            ]
        if not waiting:
            return
        keys = [future.key for _, future in waiting]
        states = self.client.sync(self.client.scheduler.get_task_status, keys=keys)
        now = time.monotonic()
        stuck = []
        for record, future in waiting:
            state = states.get(future.key)
            if state in ("no-worker", "queued"):
                record.no_worker_since = record.no_worker_since or now
                if now - record.no_worker_since >= self.settings.render_no_worker_timeout:
                    stuck.append((record, future, state))
            else:
                record.no_worker_since = None
        if not stuck:
            return
        workers = self.cluster.worker_resources()
        for record, future, state in stuck:
            needs = record.job.pipeline.resources
            if state == "queued" and workers:
                record.no_worker_since = None  # the cluster is busy, not unable
                continue
            if state == "no-worker" and any(offers(w, needs) for w in workers):
                continue  # a capable worker arrived meanwhile
            self._finish(record, "failed", error=self._no_worker_message(record, workers))
            future.cancel()
        self._flush_when_idle()

    def _no_worker_message(self, record: _Record, workers: list[dict[str, float]]) -> str:
        config = record.job.pipeline
        needs = ", ".join(f"{k}={v:g}" for k, v in sorted(config.resources.items()))
        if not workers:
            offered = "the cluster has no workers"
        else:
            kinds = sorted(
                {
                    ", ".join(f"{k}={v:g}" for k, v in sorted(w.items())) or "no resources"
                    for w in workers
                }
            )
            offered = f"its {len(workers)} worker(s) offer {'; '.join(kinds)}"
        if self.cluster.cluster is not None:  # the embedded cluster of this machine
            hint = (
                "render at a tier with a CPU fallback (low), or set AUTEUR_SCHEDULER to a "
                "cluster that has such workers"
            )
        elif "GPU" in config.resources:
            hint = "start a GPU worker there (auteur worker --scheduler ADDRESS)"
        else:
            hint = "start a worker there (auteur worker --scheduler ADDRESS)"
        return (
            f"no worker can run {record.status.shot_code or record.job.shot_id} with pipeline "
            f"{config.pipeline_id}: it needs {needs or 'a worker'}, and {offered}; {hint}"
        )

    # ------------------------------------------------------------ events

    def _emit(self, event: Any) -> None:
        event.project_id = self.store.project.id
        self._events.put(event)

    def _publish_loop(self) -> None:
        while True:
            event = self._events.get()
            if event is _STOP:
                return
            if callable(event):
                event()
            else:
                self.store.bus.publish(event)

    # ------------------------------------------------------------ closing

    def close(self, cancel: bool = True) -> None:
        """Stop the service: cancel unfinished jobs (unless told not to) and stop its threads."""
        if self._closed:
            return
        self._closed = True
        if cancel:
            self.cancel_all()
        self._stop.set()
        self._results.put(_STOP)
        self._events.put(_STOP)
        for thread in self._threads:
            if thread is not threading.current_thread():  # closed from a bus handler
                thread.join(timeout=30)
        try:
            self.client.unsubscribe_topic(self.channel.topic)
        except Exception as exc:  # the cluster may be gone already
            log.debug("could not unsubscribe from the cluster: %s", exc)
        if self._owns_cluster:
            self.cluster.close()

    def __enter__(self) -> RenderService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
