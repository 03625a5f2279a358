"""The torch side of the diffusion pipelines: loading models, applying LoRAs, denoising and
training. Imported only when a diffusion pipeline runs."""

from __future__ import annotations

import io
import os
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Models come from the workspace only: nothing may reach for the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import torch
from PIL import Image

from ...contract import PipelineError
from .models import (
    LORA_METADATA_BASE,
    LORA_METADATA_CROSS_ATTENTION,
    MODEL_CONFIG_HINT,
    ModelInfo,
    pipeline_class_name,
)

__all__ = [
    "AppliedLora",
    "LoadedModel",
    "apply_loras",
    "drop_ip_adapter",
    "generate",
    "load_model",
    "pick_device",
    "train_lora",
    "use_ip_adapter",
]

_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
_load_lock = threading.Lock()


def pick_device(requested: str) -> str:
    """``cuda`` or ``cpu``; ``auto`` takes the GPU when there is one."""
    if requested in ("", "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise PipelineError(f"the pipeline asks for device {requested!r}, but no GPU is visible")
    return requested


def pick_dtype(requested: str, device: str) -> torch.dtype:
    """The weights' precision: half on a GPU, full on the CPU, unless named."""
    if requested in ("", "auto"):
        return torch.float16 if device.startswith("cuda") else torch.float32
    if requested not in _DTYPES:
        raise PipelineError(f"unknown dtype {requested!r}; use one of {', '.join(_DTYPES)}")
    return _DTYPES[requested]


@dataclass
class AppliedLora:
    """A LoRA file to apply with its strength."""

    path: Path
    sha256: str
    strength: float
    shown: str


class LoadedModel:
    """A diffusers pipeline kept loaded in this worker process, with the LoRAs it holds."""

    def __init__(
        self,
        info: ModelInfo,
        pipe: Any,
        device: str,
        dtype: torch.dtype,
        cached_config: str | None = None,
    ) -> None:
        self.info = info
        self.pipe = pipe
        self.device = device
        self.dtype = dtype
        #: ``repo@revision`` of the Hugging Face cache snapshot whose configs describe a
        #: single file given without any; None otherwise.
        self.cached_config = cached_config
        self.lock = threading.Lock()
        self.adapters: set[str] = set()
        self.ip_adapter: str | None = None
        # The image encoder outlives an unloaded IP-Adapter: reloading it is the slow part.
        self.ip_image_encoder: tuple[str, Any] | None = None
        self.default_scheduler = pipe.scheduler


_models: dict[tuple[str, ...], LoadedModel] = {}


def _quiet(pipe: Any) -> None:
    pipe.set_progress_bar_config(disable=True)


def load_model(info: ModelInfo, device: str, dtype: torch.dtype) -> LoadedModel:
    """The model at `info`, loaded once per process and device."""
    key = (str(info.path), info.sha256, str(info.config or ""), device, str(dtype))
    with _load_lock:
        loaded = _models.get(key)
        if loaded is not None:
            return loaded
        # One model at a time per process: a GPU holds few of them.
        _models.clear()
        from diffusers import DiffusionPipeline
        from diffusers.utils import logging as diffusers_logging
        from transformers.utils import logging as transformers_logging

        # Workers log to files: progress goes through the job's context, not bars.
        diffusers_logging.disable_progress_bar()
        transformers_logging.disable_progress_bar()

        cached_config = None
        if info.path.is_dir():
            try:
                pipe = DiffusionPipeline.from_pretrained(
                    info.path, dtype=dtype, local_files_only=True, safety_checker=None
                )
            except (OSError, ValueError, RuntimeError, KeyError) as exc:
                raise PipelineError(f"cannot load diffusion model {info.path}: {exc}") from exc
        else:
            pipe, cached_config = _load_single_file(info, dtype)
        pipe.to(device)
        _quiet(pipe)
        loaded = _models[key] = LoadedModel(info, pipe, device, dtype, cached_config)
        return loaded


def _load_single_file(info: ModelInfo, dtype: torch.dtype) -> tuple[Any, str | None]:
    """A single-file checkpoint, its architecture from `info.config` or the local HF cache;
    with ``repo@revision`` of the cache snapshot when the configs came from there."""
    import diffusers
    from diffusers.loaders.single_file_utils import SingleFileComponentError

    cached = None
    if info.config is not None:
        config = info.config
    else:
        repo, config = _cached_config(info.path)
        cached = f"{repo}@{config.name}"  # a snapshot's folder is named after its revision
    name = pipeline_class_name(config)
    pipeline_class = getattr(diffusers, name, None)
    if not hasattr(pipeline_class, "from_single_file"):
        raise PipelineError(
            f"cannot load diffusion model {info.path}: {name} (from {config}) does not load "
            "single files"
        )
    try:
        # Given a config folder, diffusers reads every component's config from it; only the
        # weights come from the file.
        pipe = pipeline_class.from_single_file(
            str(info.path), config=str(config), dtype=dtype, local_files_only=True
        )
    except (OSError, ValueError, RuntimeError, KeyError, SingleFileComponentError) as exc:
        raise PipelineError(
            f"cannot load diffusion model {info.path} with the configs in {config}: {exc}; "
            f"{MODEL_CONFIG_HINT}"
        ) from exc
    return pipe, cached


def _cached_config(path: Path) -> tuple[str, Path]:
    """The configs diffusers would use for the checkpoint at `path`, from the local HF cache:
    the repository they belong to, and its snapshot folder.

    diffusers itself downloads them when the cache lacks them, even with
    ``local_files_only``; looking here first keeps a worker off the network.
    """
    from diffusers.loaders.single_file_utils import (
        fetch_diffusers_config,
        load_single_file_checkpoint,
    )
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        checkpoint = load_single_file_checkpoint(str(path), local_files_only=True)
        repo = str(fetch_diffusers_config(checkpoint)["pretrained_model_name_or_path"])
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise PipelineError(f"cannot load diffusion model {path}: {exc}") from exc
    del checkpoint  # diffusers reads the file again, with the configs found here
    try:
        cached = Path(snapshot_download(repo, local_files_only=True))
    except LocalEntryNotFoundError:
        cached = None
    if cached is None or not (cached / "model_index.json").is_file():
        raise PipelineError(
            f"diffusion model {path} is a single file without configs: there is no "
            f"{path.with_suffix('').name}/ folder of configs next to it and the local Hugging "
            f"Face cache has none for {repo}; {MODEL_CONFIG_HINT}"
        )
    return repo, cached


@contextmanager
def _several_adapters() -> Iterator[None]:
    """Holding several adapters is the point here (one per character), not a mistake."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Already found a `peft_config`", UserWarning)
        yield


def _adapter_name(lora: AppliedLora) -> str:
    return "lora_" + lora.sha256[:16]


def apply_loras(model: LoadedModel, loras: Sequence[AppliedLora]) -> None:
    """Make exactly `loras` active, at their strengths; each file loads once per model."""
    from safetensors.torch import load_file

    pipe = model.pipe
    for lora in loras:
        name = _adapter_name(lora)
        if name in model.adapters:
            continue
        try:
            with _several_adapters():
                pipe.load_lora_weights(load_file(str(lora.path)), adapter_name=name)
        except (ValueError, RuntimeError, KeyError) as exc:
            raise PipelineError(
                f"LoRA {lora.shown} does not fit {model.info.path.name}: {exc}"
            ) from exc
        model.adapters.add(name)
    if not model.adapters:
        return
    if loras:
        pipe.enable_lora()
        pipe.set_adapters([_adapter_name(x) for x in loras], [x.strength for x in loras])
    else:
        pipe.disable_lora()


def use_scheduler(model: LoadedModel, name: str) -> str:
    """Switch to the scheduler class `name` (empty: the model's own); return the class name."""
    if not name:
        model.pipe.scheduler = model.default_scheduler
        return type(model.default_scheduler).__name__
    import diffusers

    scheduler_class = getattr(diffusers, name, None)
    if scheduler_class is None or not hasattr(scheduler_class, "from_config"):
        raise PipelineError(f"unknown scheduler {name!r}")
    if type(model.pipe.scheduler).__name__ != name:
        model.pipe.scheduler = scheduler_class.from_config(model.default_scheduler.config)
    return name


def use_ip_adapter(
    model: LoadedModel, folder: Path, weight_name: str, subfolder: str, count: int = 1
) -> None:
    """Make `count` copies of the IP-Adapter at `folder` the model's (one per character that
    brings reference images); the weights load once per change."""
    ident = f"{folder}/{subfolder}/{weight_name}*{count}"
    if model.ip_adapter == ident:
        return
    pipe = model.pipe
    if not hasattr(pipe, "load_ip_adapter"):
        raise PipelineError(f"{model.info.path.name} does not support IP-Adapter images")
    drop_ip_adapter(model)
    encoder_key = f"{folder}/{subfolder}"
    kept = model.ip_image_encoder
    model.ip_image_encoder = None
    if kept is not None and kept[0] == encoder_key:
        # load_ip_adapter reads an image encoder only when the pipeline has none.
        pipe.register_modules(image_encoder=kept[1])
    try:
        pipe.load_ip_adapter(
            [str(folder)] * count,
            subfolder=[subfolder] * count,
            weight_name=[weight_name] * count,
            local_files_only=True,
        )
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        # A half-loaded adapter would break the next render: put the model back as it was.
        pipe.unload_ip_adapter()
        raise PipelineError(
            f"cannot load IP-Adapter {folder / subfolder / weight_name}: {exc}"
        ) from exc
    model.ip_adapter = ident
    model.ip_image_encoder = (encoder_key, pipe.image_encoder)


def drop_ip_adapter(model: LoadedModel) -> None:
    """Take the IP-Adapter out of the model, which then renders as if it never had one.

    A loaded adapter makes the UNet require image embeddings, so a job without reference
    images cannot simply leave it in (scale 0 would still need an image to encode).
    """
    if model.ip_adapter is None:
        return
    model.pipe.unload_ip_adapter()
    model.ip_adapter = None


def generate(
    model: LoadedModel,
    *,
    prompt: str,
    negative_prompt: str,
    width: int,
    height: int,
    steps: int,
    guidance: float,
    seed: int,
    on_step: Callable[[int, int], None],
    ip_adapter_images: list[list[Image.Image]] | None = None,
    ip_adapter_scales: Sequence[float] = (),
) -> Image.Image:
    """Denoise one image; `on_step(done, total)` runs after each step and may raise to stop."""
    pipe = model.pipe

    def callback(_pipe: Any, index: int, _timestep: Any, kwargs: dict[str, Any]) -> dict:
        on_step(index + 1, steps)
        return kwargs

    options: dict[str, Any] = {}
    if ip_adapter_images:
        if model.ip_adapter is None:
            raise PipelineError("IP-Adapter images were given, but no IP-Adapter is loaded")
        # One entry per loaded adapter (per character), with all of its images and its scale.
        pipe.set_ip_adapter_scale(list(ip_adapter_scales))
        options["ip_adapter_image"] = [list(images) for images in ip_adapter_images]
    elif model.ip_adapter is not None:
        raise PipelineError("an IP-Adapter is loaded but no images were given: drop it first")
    # The generator lives on the CPU so a seed gives the same noise on any device.
    generator = torch.Generator("cpu").manual_seed(int(seed))
    with torch.inference_mode():
        result = pipe(
            prompt=prompt,
            negative_prompt=negative_prompt or None,
            width=width,
            height=height,
            num_inference_steps=steps,
            guidance_scale=guidance,
            generator=generator,
            callback_on_step_end=callback,
            **options,
        )
    return result.images[0]


def encode_png(image: Image.Image, compress_level: int = 6) -> bytes:
    """PNG bytes of `image`."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=compress_level)
    return buffer.getvalue()


# ---------------------------------------------------------------- training


@dataclass
class TrainingSetup:
    """What a LoRA training run needs."""

    images: list[Image.Image]
    caption: str
    steps: int
    rank: int
    learning_rate: float
    resolution: int
    seed: int


def _image_tensor(image: Image.Image, resolution: int) -> torch.Tensor:
    from PIL import ImageOps

    fitted = ImageOps.fit(image.convert("RGB"), (resolution, resolution))
    data = torch.frombuffer(bytearray(fitted.tobytes()), dtype=torch.uint8)
    pixels = data.view(resolution, resolution, 3).permute(2, 0, 1).float()
    return pixels / 127.5 - 1.0


def train_lora(
    model: LoadedModel, setup: TrainingSetup, on_step: Callable[[int, int], None]
) -> bytes:
    """Train a LoRA on the model's UNet; return the ``.safetensors`` bytes (diffusers format).

    The model's own weights stay as they were: the adapter is removed afterwards.
    """
    from diffusers import DDPMScheduler
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict
    from safetensors.torch import save

    pipe = model.pipe
    unet = getattr(pipe, "unet", None)
    if unet is None:
        raise PipelineError(
            f"{model.info.path.name} has no UNet; LoRA training supports UNet models (SD, SDXL)"
        )
    vae, text_encoder = pipe.vae, pipe.text_encoder
    # A render's IP-Adapter would make the UNet ask for image embeddings it never gets here.
    drop_ip_adapter(model)
    # Training adds noise at any timestep, which a sampling scheduler cannot do on its own.
    noise_scheduler = DDPMScheduler.from_config(model.default_scheduler.config)
    device = model.device
    generator = torch.Generator("cpu").manual_seed(setup.seed)
    adapter = "auteur_training"
    with _several_adapters():
        unet.add_adapter(
            LoraConfig(
                r=setup.rank,
                lora_alpha=setup.rank,
                init_lora_weights="gaussian",
                target_modules=["to_k", "to_q", "to_v", "to_out.0"],
            ),
            adapter_name=adapter,
        )
    try:
        # Only the new adapter learns: the loaded model serves renders afterwards, unchanged.
        unet.requires_grad_(False)
        unet.enable_adapters()
        unet.set_adapters([adapter])
        trainable = [p for name, p in unet.named_parameters() if f".{adapter}." in name]
        if not trainable:
            raise PipelineError(f"{model.info.path.name} has no attention layers to adapt")
        for parameter in trainable:
            # Adapters train in full precision even when the model runs in half.
            parameter.data = parameter.data.float()
            parameter.requires_grad_(True)
        optimizer = torch.optim.AdamW(trainable, lr=setup.learning_rate)
        with torch.no_grad():
            tokens = pipe.tokenizer(
                [setup.caption],
                padding="max_length",
                max_length=pipe.tokenizer.model_max_length,
                truncation=True,
                return_tensors="pt",
            ).input_ids.to(device)
            text = text_encoder(tokens)[0]
            pixels = torch.stack([_image_tensor(i, setup.resolution) for i in setup.images])
            latents_all = vae.encode(pixels.to(device, model.dtype)).latent_dist.sample(
                generator=generator
            )
            latents_all = latents_all * vae.config.scaling_factor
        total = noise_scheduler.config.num_train_timesteps
        unet.train()
        for step in range(setup.steps):
            index = step % len(setup.images)
            latents = latents_all[index : index + 1]
            noise = torch.randn(latents.shape, generator=generator).to(device, latents.dtype)
            timestep = torch.randint(0, total, (1,), generator=generator).to(device)
            noisy = noise_scheduler.add_noise(latents, noise, timestep)
            with torch.autocast(device.split(":")[0], enabled=model.dtype != torch.float32):
                predicted = unet(noisy, timestep, text).sample
            loss = torch.nn.functional.mse_loss(predicted.float(), noise.float())
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            on_step(step + 1, setup.steps)
        unet.eval()
        layers = convert_state_dict_to_diffusers(
            get_peft_model_state_dict(unet, adapter_name=adapter)
        )
        tensors = {
            f"unet.{name}": tensor.detach().to("cpu", torch.float32).contiguous()
            for name, tensor in layers.items()
        }
    finally:
        unet.delete_adapters(adapter)
        for parameter in unet.parameters():
            parameter.requires_grad_(False)
    metadata = {
        LORA_METADATA_BASE: model.info.sha256,
        LORA_METADATA_CROSS_ATTENTION: str(unet.config.cross_attention_dim),
        "auteur.caption": setup.caption,
        "auteur.rank": str(setup.rank),
        "auteur.steps": str(setup.steps),
    }
    return save(tensors, metadata=metadata)
