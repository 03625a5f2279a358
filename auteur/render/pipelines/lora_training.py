"""The ``lora-training`` pipeline: a character LoRA trained with peft on reference images.

The job names the base model (``parameters.model``, from the workspace's
``Library/AI_Models/``), the character's trigger word and its reference images (the job's
inputs). It returns the trained LoRA as ``.safetensors`` bytes; the studio files it into the
character's ``lora/`` folder. Progress is reported after each training step.

Job parameters: ``model``, ``modelConfig`` (the configs of a single-file model, as for the
``diffusion`` pipeline), ``modelsDir``, ``triggerWord``, ``caption`` (``{trigger}`` is
replaced; default ``a photo of {trigger}``), ``images`` (project paths, default every input),
``steps``, ``rank``, ``learningRate``, ``resolution``, ``device``, ``dtype``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from ..contract import JobContext, PipelineError, PipelineOutput, RenderJob
from ._diffusion.models import ModelInfo, model_info

__all__ = ["TRAINING_DEFAULTS", "LoraTrainingPipeline", "TrainingPlan", "plan_training"]

#: Defaults of a training run, overridden by the job's parameters.
TRAINING_DEFAULTS: dict[str, Any] = {
    "steps": 500,
    "rank": 8,
    "learningRate": 1e-4,
    "resolution": 512,
    "caption": "a photo of {trigger}",
}


@dataclass
class TrainingPlan:
    """A checked training job."""

    model: ModelInfo
    images: list[str]
    caption: str
    trigger_word: str
    steps: int
    rank: int
    learning_rate: float
    resolution: int
    device: str
    dtype: str


def plan_training(job: RenderJob) -> TrainingPlan:
    """Check a training job without loading torch; errors name the missing file or value."""
    params = {**TRAINING_DEFAULTS, **job.parameters}
    model = model_info(params, job.project_root)
    trigger = str(params.get("triggerWord") or "").strip()
    if not trigger:
        raise PipelineError("a LoRA needs a trigger word: set the character's trigger word")
    images = list(params.get("images") or [item.path for item in job.inputs])
    if not images:
        raise PipelineError("a LoRA needs reference images of the character")
    known = {item.path for item in job.inputs}
    missing = [path for path in images if path not in known]
    if missing:
        raise PipelineError(f"reference image {missing[0]} is not an input of the job")
    try:
        steps, rank = int(params["steps"]), int(params["rank"])
        learning_rate, resolution = float(params["learningRate"]), int(params["resolution"])
    except (TypeError, ValueError) as exc:
        raise PipelineError(f"bad training parameter: {exc}") from None
    if steps < 1 or rank < 1 or learning_rate <= 0 or resolution < 8 or resolution % 8:
        raise PipelineError(
            "training needs steps ≥ 1, rank ≥ 1, a positive learning rate and a resolution "
            f"that is a multiple of 8 (got {steps}, {rank}, {learning_rate}, {resolution})"
        )
    return TrainingPlan(
        model=model,
        images=images,
        caption=str(params["caption"]).replace("{trigger}", trigger),
        trigger_word=trigger,
        steps=steps,
        rank=rank,
        learning_rate=learning_rate,
        resolution=resolution,
        device=str(params.get("device") or "auto"),
        dtype=str(params.get("dtype") or "auto"),
    )


class LoraTrainingPipeline:
    """Trains character LoRAs; the base model stays loaded between jobs."""

    def run(self, job: RenderJob, context: JobContext) -> list[PipelineOutput]:
        context.report(0.0, "checking the model")
        plan = plan_training(job)
        from PIL import Image

        images = []
        for path in plan.images:
            try:
                with Image.open(io.BytesIO(context.read_input(path))) as image:
                    images.append(image.convert("RGB"))
            except OSError as exc:
                raise PipelineError(f"cannot read reference image {path}: {exc}") from None
        context.check_cancelled()
        from ._diffusion import runtime

        device = runtime.pick_device(plan.device)
        dtype = runtime.pick_dtype(plan.dtype, device)
        context.report(0.02, "loading the model")
        model = runtime.load_model(plan.model, device, dtype)

        def on_step(done: int, total: int) -> None:
            context.report(0.05 + 0.9 * done / total, f"training step {done}/{total}")
            context.check_cancelled()

        setup = runtime.TrainingSetup(
            images=images,
            caption=plan.caption,
            steps=plan.steps,
            rank=plan.rank,
            learning_rate=plan.learning_rate,
            resolution=plan.resolution,
            seed=job.seed,
        )
        with model.lock:
            data = runtime.train_lora(model, setup, on_step)
        context.report(1.0, "done")
        return [
            PipelineOutput(
                data=data,
                ext="safetensors",
                metadata={
                    "pipeline": "lora-training",
                    "model": plan.model.path.name,
                    "modelSha256": plan.model.sha256,
                    "triggerWord": plan.trigger_word,
                    "caption": plan.caption,
                    "steps": plan.steps,
                    "rank": plan.rank,
                    "learningRate": plan.learning_rate,
                    "resolution": plan.resolution,
                    "seed": job.seed,
                    "device": device,
                },
            )
        ]
