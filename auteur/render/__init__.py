"""Auteur's render engine: dispatcher, composite prompts, pipelines, the Dask cluster and the
render service that turns results into takes.

The light parts (prompts, the pipeline contract, the dispatcher) import without Dask; the
cluster and the service load it on first use.
"""

from __future__ import annotations

from typing import Any

from .contract import (
    JobCancelled,
    JobContext,
    JobInput,
    JobResult,
    LocalContext,
    OutputSpec,
    PipelineConfig,
    PipelineError,
    PipelineOutput,
    RenderJob,
)
from .dispatcher import Dispatcher, ensure_pipeline_templates
from .prompt import CompositePrompt, PromptError, assemble_prompt

__all__ = [
    "ClusterError",
    "CompositePrompt",
    "Dispatcher",
    "JobCancelled",
    "JobContext",
    "JobInput",
    "JobResult",
    "JobStatus",
    "LocalContext",
    "OutputSpec",
    "PipelineConfig",
    "PipelineError",
    "PipelineOutput",
    "PromptError",
    "RenderCluster",
    "RenderError",
    "RenderHandle",
    "RenderJob",
    "RenderService",
    "WorkerSpec",
    "assemble_prompt",
    "ensure_pipeline_templates",
]

_LAZY = {
    "ClusterError": "cluster",
    "RenderCluster": "cluster",
    "WorkerSpec": "cluster",
    "JobStatus": "service",
    "RenderError": "service",
    "RenderHandle": "service",
    "RenderService": "service",
}


def __getattr__(name: str) -> Any:
    # Dask loads only when the cluster or the service is used.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
