"""Pipelines the render tests and benchmarks run on real workers.

Workers import them by reference (``tests.render.pipelines:sleep``), like any pipeline named
``module:attribute`` in a configuration.
"""

from __future__ import annotations

import io
import os
import time

from PIL import Image

from auteur.render import JobContext, PipelineConfig, PipelineError, PipelineOutput, RenderJob

__all__ = ["config", "fail", "noop", "sleep", "stamped"]


def _tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (90, 120, 150)).save(buffer, "PNG")
    return buffer.getvalue()


TINY_PNG = _tiny_png()


def config(name: str, **fields: object) -> PipelineConfig:
    """A configuration running the pipeline `name` of this module."""
    return PipelineConfig(pipeline_id=f"test-{name}", entry_point=f"{__name__}:{name}", **fields)


def _output(**metadata: object) -> PipelineOutput:
    return PipelineOutput(data=TINY_PNG, ext="png", metadata={"pid": os.getpid(), **metadata})


def noop(job: RenderJob, context: JobContext) -> list[PipelineOutput]:
    """Returns a tiny frame at once."""
    return [_output()]


def sleep(job: RenderJob, context: JobContext) -> list[PipelineOutput]:
    """Sleeps ``seconds`` (default 0.5) in ``steps`` steps, reporting each; stops on cancel."""
    seconds = float(job.parameters.get("seconds", 0.5))
    steps = int(job.parameters.get("steps", 5))
    for index in range(steps):
        context.report(index / steps, f"step {index + 1} of {steps}")
        context.sleep(seconds / steps)
    return [_output()]


def stamped(job: RenderJob, context: JobContext) -> list[PipelineOutput]:
    """Reports ``count`` steps ``gap`` seconds apart, each step naming the time it was sent."""
    count = int(job.parameters.get("count", 20))
    gap = float(job.parameters.get("gap", 0.02))
    for index in range(count):
        context.report(index / count, f"sent {time.time():.6f}")
        time.sleep(gap)
    return [_output()]


def fail(job: RenderJob, context: JobContext) -> list[PipelineOutput]:
    """Fails with ``message`` after reporting once."""
    context.report(0.2, "about to fail")
    raise PipelineError(str(job.parameters.get("message", "the pipeline broke")))
