"""Build a tiny IP-Adapter for the tiny diffusion model, in the layout diffusers loads.

``load_ip_adapter(folder, subfolder=..., weight_name=..., local_files_only=True)`` reads the
adapter weights ``<folder>/<subfolder>/<weight_name>`` and the CLIP image encoder in
``<folder>/<subfolder>/image_encoder/``. Random weights: the point is that the real loading and
denoising code runs, and that reference images visibly change the image.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "TINY_IMAGE_EMBED_DIM",
    "TINY_IP_WEIGHT_NAME",
    "cross_attention_processors",
    "install_tiny_ip_adapter",
    "save_tiny_ip_adapter",
    "tiny_ip_adapter_path",
]

TINY_IMAGE_EMBED_DIM = 16
TINY_IP_WEIGHT_NAME = "ip-adapter_tiny.safetensors"
#: How many image tokens the plain IP-Adapter's projection makes; diffusers assumes 4.
_IMAGE_TOKENS = 4
#: Large enough that the image tokens shift the attention output visibly in two steps.
_ADAPTER_STD = 1.0


def _unet(model: Any):
    """The UNet of a pipeline, a UNet itself, or one built from a config or a model folder."""
    from diffusers import UNet2DConditionModel

    if hasattr(model, "unet"):
        return model.unet
    if isinstance(model, UNet2DConditionModel):
        return model
    if isinstance(model, str | Path):
        model = json.loads((Path(model) / "unet" / "config.json").read_text(encoding="utf-8"))
    if isinstance(model, Mapping):
        return UNet2DConditionModel.from_config(dict(model))
    raise TypeError(f"need a pipeline, a UNet, its config or a model folder, not {model!r}")


def cross_attention_processors(unet: Any) -> list[tuple[str, int, int]]:
    """Each cross-attention processor as (name, id in the weights, hidden size).

    The same walk as diffusers' ``_convert_ip_adapter_attn_to_diffusers``: processors in
    ``unet.attn_processors`` order, ids 1, 3, 5... counting only the cross-attention ones.
    """
    config = unet.config
    found = []
    key_id = 1
    for name in unet.attn_processors:
        if name.endswith("attn1.processor") or "motion_modules" in name:
            continue
        if name.startswith("mid_block"):
            hidden = config.block_out_channels[-1]
        elif name.startswith("up_blocks"):
            hidden = list(reversed(config.block_out_channels))[int(name[len("up_blocks.")])]
        else:
            hidden = config.block_out_channels[int(name[len("down_blocks.")])]
        found.append((name, key_id, hidden))
        key_id += 2
    return found


def _image_encoder(seed: int):
    import torch
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(seed)
    return CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=32,
            intermediate_size=37,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=32,
            patch_size=8,
            projection_dim=TINY_IMAGE_EMBED_DIM,
        )
    )


def save_tiny_ip_adapter(
    folder: Path,
    unet_config_or_pipe: Any,
    seed: int = 0,
    *,
    subfolder: str = "models",
    weight_name: str = TINY_IP_WEIGHT_NAME,
) -> Path:
    """Write a tiny IP-Adapter fitting `unet_config_or_pipe` into `folder`; return the weights.

    `unet_config_or_pipe` is a pipeline, a UNet, a UNet config or a diffusers model folder.
    """
    import torch
    from safetensors.torch import save_file

    unet = _unet(unet_config_or_pipe)
    width = unet.config.cross_attention_dim
    target = Path(folder) / subfolder
    _image_encoder(seed).save_pretrained(target / "image_encoder")
    generator = torch.Generator("cpu").manual_seed(seed)

    def normal(*shape: int, std: float = _ADAPTER_STD) -> torch.Tensor:
        return torch.randn(shape, generator=generator) * std

    tensors = {
        "image_proj.proj.weight": normal(_IMAGE_TOKENS * width, TINY_IMAGE_EMBED_DIM),
        "image_proj.proj.bias": normal(_IMAGE_TOKENS * width),
        "image_proj.norm.weight": torch.ones(width),
        "image_proj.norm.bias": torch.zeros(width),
    }
    for _name, key_id, hidden in cross_attention_processors(unet):
        tensors[f"ip_adapter.{key_id}.to_k_ip.weight"] = normal(hidden, width)
        tensors[f"ip_adapter.{key_id}.to_v_ip.weight"] = normal(hidden, width)
    weights = target / weight_name
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(weights))
    return weights


_cache_lock = threading.Lock()
_cached: dict[int, Path] = {}


def tiny_ip_adapter_path(seed: int = 0) -> Path:
    """A tiny IP-Adapter for the tiny model, saved once per test process, removed at exit."""
    from tests.render.tiny_model import tiny_model_path

    with _cache_lock:
        if seed not in _cached:
            folder = Path(tempfile.mkdtemp(prefix="auteur-tiny-ip-adapter-"))
            atexit.register(shutil.rmtree, folder, True)
            save_tiny_ip_adapter(folder / "tiny-ip", tiny_model_path(), seed)
            _cached[seed] = folder / "tiny-ip"
        return _cached[seed]


def install_tiny_ip_adapter(workspace: Path, name: str = "tiny-ip", seed: int = 0) -> Path:
    """Copy the tiny IP-Adapter into `workspace`'s ``Library/AI_Models/<name>``; return it."""
    target = workspace / "Library" / "AI_Models" / name
    shutil.copytree(tiny_ip_adapter_path(seed), target)
    return target
