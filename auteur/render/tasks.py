"""What a Dask worker runs for a render job. Workers never write into a project."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from distributed import get_worker

from ..model._base import CamelModel
from .contract import JobContext, JobResult, RenderJob
from .pipelines import run_pipeline

__all__ = ["JobChannel", "WorkerContext", "cancel_here", "run_render_job"]


class JobChannel(CamelModel):
    """How a running job talks back to the render service that submitted it."""

    topic: str
    progress_interval: float = 0.05


# Stop flags of the jobs running in this worker process, and cancels that came first: the
# service sends a cancel to every worker, so that a job starting just then stops at once too.
_flags_lock = threading.Lock()
_flags: dict[str, threading.Event] = {}
_early: OrderedDict[str, None] = OrderedDict()
_EARLY_KEPT = 10_000


def _flag(job_id: str) -> threading.Event:
    with _flags_lock:
        flag = _flags.get(job_id)
        if flag is None:
            flag = _flags[job_id] = threading.Event()
            if job_id in _early:
                flag.set()
        return flag


def _forget(job_id: str) -> None:
    with _flags_lock:
        _flags.pop(job_id, None)


def cancel_here(job_ids: list[str]) -> int:
    """Stop these jobs if they run in this worker, or as soon as they start; return how many ran.

    The render service runs it on every worker (``client.run``) when the user cancels.
    """
    stopped = 0
    with _flags_lock:
        for job_id in job_ids:
            _early[job_id] = None
            flag = _flags.get(job_id)
            if flag is not None:
                flag.set()
                stopped += 1
        while len(_early) > _EARLY_KEPT:
            _early.popitem(last=False)
    return stopped


class WorkerContext(JobContext):
    """Reports progress through the worker's event log; stops when the service cancels the job."""

    def __init__(
        self, job: RenderJob, channel: JobChannel, attached: dict[str, bytes] | None = None
    ) -> None:
        super().__init__(job, attached)
        self._worker = get_worker()
        self._channel = channel
        self._lock = threading.Lock()
        self._last_sent = 0.0
        self._last_step: str | None = None
        self._stop = _flag(job.job_id)

    @property
    def worker(self) -> str:
        return self._worker.address

    def report(self, fraction: float, step: str = "") -> None:
        fraction = min(1.0, max(0.0, float(fraction)))
        now = time.time()
        with self._lock:
            # Pipelines may report far more often than anyone can watch; keep step changes
            # and the end, thin out the rest.
            recent = now - self._last_sent < self._channel.progress_interval
            if step == self._last_step and fraction < 1.0 and recent:
                return
            self._last_sent, self._last_step = now, step
        message = {
            "job": self.job.job_id,
            "progress": fraction,
            "step": step,
            "time": now,
            "worker": self._worker.address,
        }
        self._worker.log_event(self._channel.topic, message)

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def wait_cancelled(self, seconds: float) -> bool:
        return self._stop.wait(max(0.0, seconds))

    def close(self) -> None:
        super().close()
        _forget(self.job.job_id)


def run_render_job(
    job: RenderJob, attached: dict[str, bytes] | None, channel: JobChannel
) -> JobResult:
    """Run `job`'s pipeline on this worker and return its outputs.

    `attached` holds the bytes of inputs that travelled with the job, by sha256.
    """
    context = WorkerContext(job, channel, attached)
    started = time.time()
    try:
        context.report(0.0, "started")
        context.check_cancelled()
        outputs = run_pipeline(job, context)
    finally:
        context.close()
    return JobResult(
        job_id=job.job_id,
        outputs=outputs,
        worker=context.worker,
        started=started,
        finished=time.time(),
    )
