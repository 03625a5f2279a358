"""Pipelines and how they are found.

A Python pipeline is registered under the ``auteur.pipelines`` entry point group, as a class
(instantiated once per worker process, so it may keep models loaded) or a function. Either way
it is called as ``run(job, context)`` and returns a list of `PipelineOutput`. A configuration may
also name a pipeline by ``module:attribute`` directly. Container pipelines need no registration:
their configuration names the image.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from importlib import metadata
from typing import Protocol, runtime_checkable

from ..contract import JobContext, PipelineConfig, PipelineError, PipelineOutput, RenderJob

__all__ = [
    "BUILTIN_PIPELINES",
    "ENTRY_POINT_GROUP",
    "Pipeline",
    "available_pipelines",
    "load_pipeline",
    "run_pipeline",
]

ENTRY_POINT_GROUP = "auteur.pipelines"

#: Pipelines that ship with the package; entry points of the same name take precedence.
BUILTIN_PIPELINES = {
    "previz": "auteur.render.pipelines.previz:PrevizPipeline",
    # Need the `diffusion` extra (torch, diffusers, peft), imported only when a job runs.
    "diffusion": "auteur.render.pipelines.diffusion:DiffusionPipeline",
    "lora-training": "auteur.render.pipelines.lora_training:LoraTrainingPipeline",
}


@runtime_checkable
class Pipeline(Protocol):
    """What every pipeline offers."""

    def run(self, job: RenderJob, context: JobContext) -> list[PipelineOutput]:
        """Render `job`, reporting through `context`; return the outputs."""
        ...


class _FunctionPipeline:
    def __init__(self, function: Callable[[RenderJob, JobContext], list[PipelineOutput]]):
        self._function = function

    def run(self, job: RenderJob, context: JobContext) -> list[PipelineOutput]:
        return self._function(job, context)


_lock = threading.Lock()
_loaded: dict[str, Pipeline] = {}


def available_pipelines() -> dict[str, str]:
    """Every registered Python pipeline: name → ``module:attribute``."""
    found = dict(BUILTIN_PIPELINES)
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        found[entry.name] = entry.value
    return dict(sorted(found.items()))


def _import(reference: str) -> object:
    module_name, _, attribute = reference.partition(":")
    try:
        target: object = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise PipelineError(f"cannot load pipeline {reference!r}: {exc}") from exc
    return target


def _resolve(name: str) -> str:
    if ":" in name:
        return name
    known = available_pipelines()
    if name not in known:
        listed = ", ".join(known) or "none"
        raise PipelineError(
            f"no pipeline named {name!r} on this worker (registered: {listed}); install the "
            f"package that provides it in the worker's environment"
        )
    return known[name]


def load_pipeline(config: PipelineConfig) -> Pipeline:
    """The Python pipeline `config` names, loaded once per process."""
    if config.runner == "container":
        from .container import ContainerPipeline

        return ContainerPipeline()
    reference = _resolve(config.pipeline_name)
    with _lock:
        if reference not in _loaded:
            target = _import(reference)
            if isinstance(target, type):
                target = target()
            if isinstance(target, Pipeline):
                _loaded[reference] = target
            elif callable(target):
                _loaded[reference] = _FunctionPipeline(target)  # type: ignore[arg-type]
            else:
                raise PipelineError(f"{reference} is neither a pipeline class nor a function")
        return _loaded[reference]


def run_pipeline(job: RenderJob, context: JobContext) -> list[PipelineOutput]:
    """Run the pipeline of `job` and check what it returned."""
    outputs = load_pipeline(job.pipeline).run(job, context)
    if not outputs:
        raise PipelineError(f"pipeline {job.pipeline.pipeline_id} produced no output")
    for output in outputs:
        if not isinstance(output, PipelineOutput):
            raise PipelineError(
                f"pipeline {job.pipeline.pipeline_id} returned {type(output).__name__}, "
                "not PipelineOutput"
            )
    return outputs
