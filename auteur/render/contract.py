"""The pipeline contract: what a pipeline receives, how it reports, and what it returns."""

from __future__ import annotations

import contextlib
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from ..model import Quality
from ..model._base import CamelModel

__all__ = [
    "JobCancelled",
    "JobContext",
    "JobInput",
    "JobResult",
    "LocalContext",
    "OutputSpec",
    "PipelineConfig",
    "PipelineError",
    "PipelineOutput",
    "RenderJob",
]


class PipelineError(RuntimeError):
    """A pipeline could not render the job; the message says why."""


class JobCancelled(Exception):
    """The job was cancelled while it ran."""


class PipelineConfig(CamelModel):
    """How a quality tier (or a fallback) renders: which pipeline, where, with what resources.

    ``runner`` is ``python`` for a pipeline found through the ``auteur.pipelines`` entry points
    (or a ``module:attribute`` reference) and run inside the worker, or ``container`` for an
    image run through the Docker engine the worker can reach.
    """

    pipeline_id: str = Field(description="Name of the pipeline, recorded in each take's recipe.")
    quality: Quality | None = Field(default=None, description="The tier this template maps.")
    runner: Literal["python", "container"] = "python"
    entry_point: str | None = Field(
        default=None, description="Pipeline name or module:attribute; the pipeline id if empty."
    )
    image: str | None = Field(default=None, description="Container image for container runners.")
    command: list[str] | None = Field(default=None, description="Overrides the image's command.")
    environment: dict[str, str] = Field(default_factory=dict, description="Container variables.")
    mounts: dict[str, str] = Field(
        default_factory=dict,
        description="Read-only mounts for containers: path on the engine's host → path inside.",
    )
    target_vram: float = Field(default=0, ge=0, description="GPU memory the pipeline aims at, GB.")
    optimizations: list[str] = Field(default_factory=list)
    use_case: str = ""
    resources: dict[str, float] = Field(
        default_factory=dict, description="Worker resources one job holds, e.g. {'GPU': 1}."
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Defaults for the job's parameters."
    )
    timeout: float | None = Field(default=None, gt=0, description="Seconds before it is stopped.")
    fallback: PipelineConfig | None = Field(
        default=None,
        description="Used instead when no worker of the cluster offers the resources above.",
    )

    @property
    def pipeline_name(self) -> str:
        """The entry point name or reference that finds a Python pipeline."""
        return self.entry_point or self.pipeline_id


class OutputSpec(CamelModel):
    """What the job should produce."""

    width: int = Field(default=1920, ge=1)
    height: int = Field(default=1080, ge=1)
    format: str = Field(default="png", description="File extension of the output, without dot.")
    fps: int = Field(default=24, ge=1)
    frames: int = Field(default=1, ge=1, description="1 for a still frame.")


class JobInput(CamelModel):
    """A project file the job reads: a reference image, a LoRA..."""

    path: str = Field(description="Path relative to the project folder.")
    sha256: str
    size: int = Field(ge=0)


class RenderJob(CamelModel):
    """Everything a pipeline needs to render one shot. Plain data: it travels to any worker."""

    job_id: str
    project_id: str
    shot_id: str
    node_id: str
    shot_code: str = ""
    quality: Quality | None = None
    pipeline: PipelineConfig
    prompt: dict[str, Any] = Field(description="The composite prompt (CompositePrompt data).")
    parameters: dict[str, Any] = Field(default_factory=dict)
    seed: int
    output: OutputSpec = Field(default_factory=OutputSpec)
    inputs: list[JobInput] = Field(default_factory=list)
    project_root: str | None = Field(
        default=None, description="The project folder, when workers share the workspace."
    )


class PipelineOutput(CamelModel):
    """One file a pipeline produced: its bytes, extension and what is known about it."""

    data: bytes
    ext: str = "png"
    metadata: dict[str, Any] = Field(default_factory=dict)


class JobResult(CamelModel):
    """What a worker sends back for a finished job."""

    job_id: str
    outputs: list[PipelineOutput]
    worker: str = ""
    started: float = Field(description="Epoch seconds when the pipeline started.")
    finished: float


class JobContext(ABC):
    """What a running pipeline talks to: progress, cancellation and its input files."""

    def __init__(self, job: RenderJob, attached: dict[str, bytes] | None = None) -> None:
        self.job = job
        self._attached = attached or {}
        self._by_path = {item.path: item for item in job.inputs}
        self._scratch: tempfile.TemporaryDirectory[str] | None = None

    # ------------------------------------------------------------ progress and cancel

    @abstractmethod
    def report(self, fraction: float, step: str = "") -> None:
        """Tell the studio how far the job is (0 to 1) and what it is doing."""

    @property
    @abstractmethod
    def cancelled(self) -> bool:
        """True once the user asked to stop this job."""

    @abstractmethod
    def wait_cancelled(self, seconds: float) -> bool:
        """Wait up to `seconds`; return True as soon as the job is cancelled."""

    def check_cancelled(self) -> None:
        """Raise `JobCancelled` if the user asked to stop; call it between steps."""
        if self.cancelled:
            raise JobCancelled(self.job.job_id)

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`, stopping early with `JobCancelled` when the job is cancelled."""
        if self.wait_cancelled(seconds):
            raise JobCancelled(self.job.job_id)

    # ------------------------------------------------------------ inputs

    def read_input(self, path: str) -> bytes:
        """The bytes of input `path` (project-relative), wherever it is kept."""
        item = self._input(path)
        if item.sha256 in self._attached:
            return self._attached[item.sha256]
        return self._shared_path(item).read_bytes()

    def input_path(self, path: str) -> Path:
        """A local file holding input `path`, written to a scratch folder if it travelled."""
        item = self._input(path)
        if item.sha256 not in self._attached:
            return self._shared_path(item)
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="auteur-inputs-")
        target = Path(self._scratch.name) / item.path
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(self._attached[item.sha256])
        return target

    def close(self) -> None:
        """Remove the scratch copies of inputs."""
        if self._scratch is not None:
            with contextlib.suppress(OSError):
                self._scratch.cleanup()
            self._scratch = None

    def _input(self, path: str) -> JobInput:
        try:
            return self._by_path[path]
        except KeyError:
            raise PipelineError(f"{path} is not an input of job {self.job.job_id}") from None

    def _shared_path(self, item: JobInput) -> Path:
        if self.job.project_root is None:
            raise PipelineError(f"input {item.path} did not travel with the job")
        path = Path(self.job.project_root) / item.path
        if not path.is_file():
            raise PipelineError(
                f"input {item.path} is not readable at {path} on this worker; if workers do not "
                "share the workspace, set render_shared_workspace to false"
            )
        return path


class LocalContext(JobContext):
    """Runs a pipeline right here, without a cluster: for notebooks, tests and containers."""

    def __init__(
        self,
        job: RenderJob,
        attached: dict[str, bytes] | None = None,
        on_progress: Callable[[float, str], None] | None = None,
    ) -> None:
        super().__init__(job, attached)
        self._on_progress = on_progress
        self._cancel = threading.Event()
        self.reports: list[tuple[float, str]] = []

    def report(self, fraction: float, step: str = "") -> None:
        fraction = min(1.0, max(0.0, float(fraction)))
        self.reports.append((fraction, step))
        if self._on_progress is not None:
            self._on_progress(fraction, step)

    def cancel(self) -> None:
        """Ask the running pipeline to stop."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def wait_cancelled(self, seconds: float) -> bool:
        return self._cancel.wait(max(0.0, seconds))
