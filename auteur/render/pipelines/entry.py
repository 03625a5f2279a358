"""Run one of the package's Python pipelines inside a container, speaking the container contract.

An image whose command is ``python -u -m auteur.render.pipelines.entry`` runs the Python
pipeline the job's configuration names (its ``entryPoint``, else its id): it reads the job from
``$AUTEUR_JOB``, the inputs from ``$AUTEUR_INPUTS``, prints progress as JSON lines and writes the
outputs into ``$AUTEUR_OUTPUT``. See `auteur.render.pipelines.container` for the contract.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from ..contract import JobContext, JobInput, PipelineError, RenderJob
from . import run_pipeline

__all__ = ["ContainerContext", "main"]


class ContainerContext(JobContext):
    """Progress on stdout, inputs from a folder. A cancelled container is killed, not asked."""

    def __init__(self, job: RenderJob, input_dir: Path) -> None:
        super().__init__(job)
        self.input_dir = input_dir

    def report(self, fraction: float, step: str = "") -> None:
        fraction = min(1.0, max(0.0, float(fraction)))
        print(json.dumps({"progress": fraction, "step": step}), flush=True)

    @property
    def cancelled(self) -> bool:
        return False

    def wait_cancelled(self, seconds: float) -> bool:
        time.sleep(max(0.0, seconds))
        return False

    def _shared_path(self, item: JobInput) -> Path:
        path = self.input_dir / item.path
        if not path.is_file():
            raise PipelineError(f"input {item.path} is missing from {self.input_dir}")
        return path


def main() -> int:
    """Run the job; return the exit status (0 success, 1 pipeline failure, 2 bad job)."""
    try:
        job_file = Path(os.environ.get("AUTEUR_JOB", "/job/job.json"))
        job = RenderJob.model_validate_json(job_file.read_bytes())
    except (OSError, ValueError) as exc:
        print(f"cannot read the job: {exc}", file=sys.stderr, flush=True)
        return 2
    # Inside the container the configured pipeline runs in this process.
    job = job.model_copy(update={"pipeline": job.pipeline.model_copy(update={"runner": "python"})})
    output_dir = Path(os.environ.get("AUTEUR_OUTPUT", "/out"))
    context = ContainerContext(job, Path(os.environ.get("AUTEUR_INPUTS", "/inputs")))
    try:
        outputs = run_pipeline(job, context)
    except PipelineError as exc:
        print(f"{job.pipeline.pipeline_id} failed: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        context.close()
    metadata: dict[str, object] = {}
    for index, output in enumerate(outputs, start=1):
        (output_dir / f"output-{index:02d}.{output.ext}").write_bytes(output.data)
        metadata.update(output.metadata)
    print(json.dumps({"metadata": metadata}, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
