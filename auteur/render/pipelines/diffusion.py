"""The ``diffusion`` pipeline: text-to-image with diffusers, keeping characters recognisable.

The base model comes from the workspace's ``Library/AI_Models/`` (a diffusers folder or a
single ``.safetensors`` file), named by the template's ``parameters.model``. A single file
holds weights only; the configs of its architecture (a diffusers folder: ``model_index.json``
and each component's configs, weights optional) come from ``parameters.modelConfig``, else
from a folder named after the file's stem next to it (``sd15/`` beside ``sd15.safetensors``),
else from the local Hugging Face cache. Nothing is downloaded. The recipe names the configs:
``modelConfig`` for a folder, ``modelConfigCache`` (``repo@revision``) for a cache snapshot.

Each character's LoRA is applied at its strength (several characters, several adapters) and
its trigger word is already in the composite prompt; IP-Adapter reference images are used when
the template names IP-Adapter weights. Each denoising step is reported as progress.

Job parameters (template defaults, overridable per render): ``model``, ``modelConfig`` (for
a single-file model: a folder relative to the models folder, or absolute), ``modelsDir``,
``steps``, ``guidance``, ``scheduler`` (a diffusers class name; empty keeps the model's),
``device`` (``auto``, ``cuda``, ``cpu``), ``dtype``, ``negativePrompt``, ``width``/``height``
(else the project's resolution) and ``scale``, ``ipAdapter``
(``{"model", "subfolder", "weightName"}``: a folder in the models folder holding
``<subfolder>/<weightName>`` and ``<subfolder>/image_encoder/``, as diffusers'
``load_ip_adapter`` reads them; by default ``models/ip-adapter_sd15.safetensors``).

Models, LoRAs, IP-Adapters and reference images are checked before torch loads, so a bad job
costs no GPU time. torch itself is imported only when a job runs.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contract import JobContext, PipelineError, PipelineOutput, RenderJob
from ._diffusion.models import (
    AI_MODELS_DIR,
    ModelInfo,
    check_lora,
    file_sha256,
    folder_sha256,
    job_loras,
    model_info,
    models_dir,
    read_safetensors_header,
    text_width,
)

__all__ = [
    "DEFAULT_GUIDANCE",
    "DEFAULT_STEPS",
    "DiffusionPipeline",
    "DiffusionPlan",
    "IPAdapterPlan",
    "IPReference",
    "check_before_submit",
    "plan_job",
]

DEFAULT_STEPS = 30
DEFAULT_GUIDANCE = 7.0
_MULTIPLE = 8  # latent sizes: the VAE divides each side by 8
#: How configurations name this pipeline.
PIPELINE_NAMES = ("diffusion", "auteur.render.pipelines.diffusion:DiffusionPipeline")
#: Where the h94/IP-Adapter layout keeps things, and so where diffusers looks by default.
IP_SUBFOLDER = "models"
IP_WEIGHT_NAME = "ip-adapter_sd15.safetensors"
IP_IMAGE_ENCODER = "image_encoder"


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
class IPReference:
    """One character's reference images and how strongly they steer the image."""

    character: str
    images: list[str]
    scale: float


@dataclass
class IPAdapterPlan:
    """A checked IP-Adapter and the references a render gives it: one adapter per character
    that brings reference images, each with its own images and scale."""

    model: str
    subfolder: str
    weight_name: str
    folder: Path
    weights: Path
    references: list[IPReference]

    def recipe(self) -> dict[str, Any]:
        """What a take's recipe records: enough to find the same files and use them alike."""
        return {
            "model": self.model,
            "subfolder": self.subfolder,
            "weightName": self.weight_name,
            "sha256": file_sha256(self.weights),
            "imageEncoderSha256": folder_sha256(self.weights.parent / IP_IMAGE_ENCODER),
            "references": [
                {"character": r.character, "images": list(r.images), "scale": r.scale}
                for r in self.references
            ],
        }


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
    ip_adapter: IPAdapterPlan | None = None


def _ip_adapter(job: RenderJob, model: ModelInfo) -> IPAdapterPlan | None:
    """The IP-Adapter the template names, checked, if characters bring reference images.

    Each such character gets an adapter of its own, so each keeps its images and scale.
    """
    configured = job.parameters.get("ipAdapter")
    if not isinstance(configured, Mapping) or not configured.get("model"):
        return None
    references = [
        IPReference(
            character=str(character.get("assetId", "")),
            images=[str(path) for path in character["ipAdapterImages"]],
            scale=float(character.get("ipAdapterScale", 0.6)),
        )
        for character in job.prompt.get("characters") or []
        if character.get("ipAdapterImages")
    ]
    if not references:
        return None
    name = str(configured["model"])
    subfolder = str(configured.get("subfolder", IP_SUBFOLDER) or "")
    weight_name = str(configured.get("weightName") or IP_WEIGHT_NAME)
    folder = models_dir(job.parameters, job.project_root) / name
    weights = folder / subfolder / weight_name
    _check_ip_adapter(folder, weights, model)
    return IPAdapterPlan(
        model=name,
        subfolder=subfolder,
        weight_name=weight_name,
        folder=folder,
        weights=weights,
        references=references,
    )


def _check_ip_adapter(folder: Path, weights: Path, model: ModelInfo) -> None:
    """Refuse an IP-Adapter whose files are missing or made for another base model."""
    if not folder.is_dir():
        raise PipelineError(
            f"IP-Adapter {folder} is missing: put the IP-Adapter folder there "
            f"(the workspace's {AI_MODELS_DIR.as_posix()})"
        )
    if weights.suffix != ".safetensors":
        raise PipelineError(f"IP-Adapter weights {weights} must be a .safetensors file")
    if not weights.is_file():
        raise PipelineError(f"IP-Adapter weights {weights} are missing")
    header = read_safetensors_header(weights)
    if not any(k.startswith("image_proj.") for k in header) or not any(
        k.startswith("ip_adapter.") for k in header
    ):
        raise PipelineError(f"{weights} is not an IP-Adapter: no image_proj/ip_adapter weights")
    encoder = weights.parent / IP_IMAGE_ENCODER / "config.json"
    if not encoder.is_file():
        raise PipelineError(f"the IP-Adapter's image encoder {encoder.parent} is missing")
    width = text_width(header, lambda name: name == "ip_adapter.1.to_k_ip.weight")
    expected = model.cross_attention_dim
    if width is not None and expected is not None and width != expected:
        raise PipelineError(
            f"IP-Adapter {weights} was made for a different base model (text width {width}; "
            f"{model.path.name} has {expected})"
        )


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
        ip_adapter=_ip_adapter(job, model),
    )


class DiffusionPipeline:
    """Text-to-image renders on a GPU (or the CPU), models kept loaded between jobs."""

    def run(self, job: RenderJob, context: JobContext) -> list[PipelineOutput]:
        context.report(0.0, "checking the model")
        plan = plan_job(job, context.input_path)
        images = self._ip_images(plan, context)
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
            ip = plan.ip_adapter
            if ip is None:
                runtime.drop_ip_adapter(model)
            else:
                runtime.use_ip_adapter(
                    model, ip.folder, ip.weight_name, ip.subfolder, len(ip.references)
                )

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
                ip_adapter_scales=[r.scale for r in ip.references] if ip else [],
            )
        context.report(0.97, "encoding")
        data = runtime.encode_png(image, int(job.parameters.get("compressLevel", 6)))
        context.report(1.0, "done")
        recipe = {
            "model": plan.model.path.name,
            "modelSha256": plan.model.sha256,
            **({"modelConfig": plan.model.config_name} if plan.model.config else {}),
            **({"modelConfigCache": model.cached_config} if model.cached_config else {}),
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
            "ipAdapter": ip.recipe() if ip else None,
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
    def _ip_images(plan: DiffusionPlan, context: JobContext) -> list[list[Any]]:
        """Each reference's images, read before any model loads."""
        if plan.ip_adapter is None:
            return []
        from PIL import Image, UnidentifiedImageError

        references = []
        for reference in plan.ip_adapter.references:
            images = []
            for path in reference.images:
                data = context.read_input(path)  # names a missing input itself
                try:
                    with Image.open(io.BytesIO(data)) as image:
                        images.append(image.convert("RGB"))
                except (UnidentifiedImageError, OSError):
                    raise PipelineError(f"IP-Adapter image {path} is not an image") from None
            references.append(images)
        return references


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
