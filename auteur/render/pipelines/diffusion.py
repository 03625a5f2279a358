"""The ``diffusion`` pipeline: text-to-image with diffusers, keeping characters recognisable.

The base model comes from the workspace's ``Library/AI_Models/`` (a diffusers folder or a
single ``.safetensors`` file), named by the template's ``parameters.model``. Each character's
LoRA is applied at its strength (several characters, several adapters) and its trigger word is
already in the composite prompt; IP-Adapter reference images are used when the template names
IP-Adapter weights. Each denoising step is reported as progress.

Job parameters (template defaults, overridable per render): ``model``, ``modelsDir``, ``steps``,
``guidance``, ``scheduler`` (a diffusers class name; empty keeps the model's), ``device``
(``auto``, ``cuda``, ``cpu``), ``dtype``, ``negativePrompt``, ``width``/``height`` (else the
project's resolution) and ``scale``, ``ipAdapter`` (``{"model", "subfolder", "weightName"}``).

Models and LoRAs are checked before torch loads, so a bad job costs no GPU time. torch itself is
imported only when a job runs.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contract import JobContext, PipelineError, PipelineOutput, RenderJob
from ._diffusion.models import (
    AI_MODELS_DIR,
    ModelInfo,
    check_lora,
    job_loras,
    model_info,
    models_dir,
)

__all__ = [
    "DEFAULT_GUIDANCE",
    "DEFAULT_STEPS",
    "DiffusionPipeline",
    "DiffusionPlan",
    "check_before_submit",
    "plan_job",
]

DEFAULT_STEPS = 30
DEFAULT_GUIDANCE = 7.0
_MULTIPLE = 8  # latent sizes: the VAE divides each side by 8
#: How configurations name this pipeline.
PIPELINE_NAMES = ("diffusion", "auteur.render.pipelines.diffusion:DiffusionPipeline")


def _size(job: RenderJob) -> tuple[int, int]:
    params = job.parameters
    width = int(params.get("width") or job.output.width)
    height = int(params.get("height") or job.output.height)
    scale = float(params.get("scale") or 1.0)
    width, height = round(width * scale), round(height * scale)
    width, height = width - width % _MULTIPLE, height - height % _MULTIPLE
    if width < _MULTIPLE or height < _MULTIPLE:
        raise PipelineError(f"the image size {width}x{height} is too small for diffusion")
    return width, height


@dataclass
class DiffusionPlan:
    """A checked job: the model, the LoRAs and the settings a render will use."""

    model: ModelInfo
    loras: list[dict[str, Any]]
    width: int
    height: int
    steps: int
    guidance: float
    scheduler: str
    device: str
    dtype: str
    negative_prompt: str
    ip_adapter: dict[str, Any] | None = None
    ip_adapter_images: list[str] = field(default_factory=list)
    ip_adapter_scale: float = 0.6


def _ip_adapter(job: RenderJob) -> tuple[dict[str, Any] | None, list[str], float]:
    configured = job.parameters.get("ipAdapter")
    for character in job.prompt.get("characters") or []:
        images = list(character.get("ipAdapterImages") or [])
        if images and isinstance(configured, Mapping) and configured.get("model"):
            return dict(configured), images, float(character.get("ipAdapterScale", 0.6))
    return None, [], 0.6


def plan_job(job: RenderJob, lora_file: Any = None) -> DiffusionPlan:
    """Check `job` without loading torch: its model, each LoRA and its settings.

    `lora_file(path)` gives the local file of a project-relative LoRA path; by default it is
    looked up in the job's project folder. Errors name the missing or unfitting file.
    """
    params = job.parameters
    model = model_info(params, job.project_root)
    loras = []
    for lora in job_loras(job):
        if lora_file is not None:
            local = Path(lora_file(lora["path"]))
        elif job.project_root:
            local = Path(job.project_root) / lora["path"]
        else:
            local = Path(lora["path"])
        sha = check_lora(local, model, shown=lora["path"])
        loras.append({**lora, "local": local, "sha256": sha})
    steps = int(params.get("steps") or DEFAULT_STEPS)
    if steps < 1:
        raise PipelineError(f"steps must be at least 1, got {steps}")
    width, height = _size(job)
    ip_adapter, ip_images, ip_scale = _ip_adapter(job)
    if ip_adapter is not None:
        folder = models_dir(params, job.project_root) / str(ip_adapter["model"])
        if not folder.exists():
            raise PipelineError(f"IP-Adapter weights {folder} are missing")
        ip_adapter["folder"] = folder
    return DiffusionPlan(
        model=model,
        loras=loras,
        width=width,
        height=height,
        steps=steps,
        guidance=float(params.get("guidance", DEFAULT_GUIDANCE)),
        scheduler=str(params.get("scheduler") or ""),
        device=str(params.get("device") or "auto"),
        dtype=str(params.get("dtype") or "auto"),
        negative_prompt=str(params.get("negativePrompt") or ""),
        ip_adapter=ip_adapter,
        ip_adapter_images=ip_images,
        ip_adapter_scale=ip_scale,
    )


class DiffusionPipeline:
    """Text-to-image renders on a GPU (or the CPU), models kept loaded between jobs."""

    def run(self, job: RenderJob, context: JobContext) -> list[PipelineOutput]:
        context.report(0.0, "checking the model")
        plan = plan_job(job, context.input_path)
        context.check_cancelled()
        from ._diffusion import runtime

        device = runtime.pick_device(plan.device)
        dtype = runtime.pick_dtype(plan.dtype, device)
        context.report(0.02, "loading the model")
        model = runtime.load_model(plan.model, device, dtype)
        with model.lock:  # one render at a time per loaded model
            context.check_cancelled()
            context.report(0.05, "applying LoRAs")
            runtime.apply_loras(
                model,
                [
                    runtime.AppliedLora(x["local"], x["sha256"], x["strength"], x["path"])
                    for x in plan.loras
                ],
            )
            scheduler = runtime.use_scheduler(model, plan.scheduler)
            images = self._ip_images(plan, model, context, runtime)

            def on_step(done: int, total: int) -> None:
                context.report(0.1 + 0.85 * done / total, f"denoising step {done}/{total}")
                context.check_cancelled()

            image = runtime.generate(
                model,
                prompt=str(job.prompt.get("text", "")),
                negative_prompt=plan.negative_prompt,
                width=plan.width,
                height=plan.height,
                steps=plan.steps,
                guidance=plan.guidance,
                seed=job.seed,
                on_step=on_step,
                ip_adapter_images=images,
                ip_adapter_scale=plan.ip_adapter_scale,
            )
        context.report(0.97, "encoding")
        data = runtime.encode_png(image, int(job.parameters.get("compressLevel", 6)))
        context.report(1.0, "done")
        recipe = {
            "model": plan.model.path.name,
            "modelSha256": plan.model.sha256,
            "loras": [
                {"path": x["path"], "sha256": x["sha256"], "strength": x["strength"]}
                for x in plan.loras
            ],
            "scheduler": scheduler,
            "steps": plan.steps,
            "guidance": plan.guidance,
            "seed": job.seed,
            "width": plan.width,
            "height": plan.height,
            "device": device,
            "dtype": str(dtype).removeprefix("torch."),
            "ipAdapter": plan.ip_adapter["model"] if plan.ip_adapter and images else None,
        }
        return [
            PipelineOutput(
                data=data,
                ext="png",
                metadata={
                    "width": image.width,
                    "height": image.height,
                    "format": "PNG",
                    "pipeline": "diffusion",
                    "seed": job.seed,
                    "recipe": recipe,
                },
            )
        ]

    @staticmethod
    def _ip_images(plan: DiffusionPlan, model: Any, context: JobContext, runtime: Any) -> list:
        if plan.ip_adapter is None:
            return []
        from PIL import Image

        runtime.use_ip_adapter(
            model,
            plan.ip_adapter["folder"],
            str(plan.ip_adapter.get("weightName") or "ip-adapter_sd15.safetensors"),
            str(plan.ip_adapter.get("subfolder") or "models"),
        )
        images = []
        for path in plan.ip_adapter_images:
            with Image.open(io.BytesIO(context.read_input(path))) as image:
                images.append(image.convert("RGB"))
        return images


def check_before_submit(job: RenderJob, project_folder: Path, workspace: Path) -> None:
    """Check a diffusion job on the studio's side, before it is sent to any worker.

    The model is looked for in the workspace's ``Library/AI_Models`` (unless the job names a
    ``modelsDir``) and the LoRAs in the project. Jobs of other pipelines pass unchecked.
    """
    if job.pipeline.pipeline_name not in PIPELINE_NAMES:
        return
    parameters = {"modelsDir": str(workspace / AI_MODELS_DIR), **job.parameters}
    checked = job.model_copy(update={"parameters": parameters})
    plan_job(checked, lambda path: project_folder / path)
