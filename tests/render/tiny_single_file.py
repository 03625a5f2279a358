"""Save a diffusers Stable Diffusion model as one original-format ``.safetensors`` file.

Checkpoints shared as a single file use the names of the original (CompVis / LDM) code: the
UNet under ``model.diffusion_model.``, the VAE under ``first_stage_model.`` and the CLIP text
encoder under ``cond_stage_model.transformer.``. The mapping here is written from the layout of
the diffusers configs (blocks, layers per block, which blocks attend), so it fits any SD 1.x/2.x
shaped model, the tiny test model included. diffusers' own converters map the file back.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "ldm_state_dict",
    "save_configs_only",
    "save_tiny_single_file",
]

UNET_PREFIX = "model.diffusion_model."
VAE_PREFIX = "first_stage_model."
TEXT_ENCODER_PREFIX = "cond_stage_model.transformer."

# A module's parameter names, diffusers' on the left and the original code's on the right.
_UNET_RESNET = {
    "norm1": "in_layers.0",
    "conv1": "in_layers.2",
    "time_emb_proj": "emb_layers.1",
    "norm2": "out_layers.0",
    "conv2": "out_layers.3",
    "conv_shortcut": "skip_connection",
}
_VAE_RESNET = {"conv_shortcut": "nin_shortcut"}
_VAE_ATTENTION = {
    "group_norm": "norm",
    "to_q": "q",
    "to_k": "k",
    "to_v": "v",
    "to_out.0": "proj_out",
}
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".ckpt")

# (diffusers module, original module, renames of the parameters inside it)
_Module = tuple[str, str, Mapping[str, str]]


def _unet_modules(config: Mapping[str, Any]) -> list[_Module]:
    """Where each UNet module of diffusers sits in the original ``input/middle/output_blocks``."""
    layers = config["layers_per_block"]
    if not isinstance(layers, int):
        raise ValueError("only a single layers_per_block for every block is supported")
    if config.get("mid_block_type", "UNetMidBlock2DCrossAttn") != "UNetMidBlock2DCrossAttn":
        raise ValueError(f"unsupported mid block {config['mid_block_type']}")
    for extra in ("class_embed_type", "addition_embed_type", "encoder_hid_dim_type"):
        if config.get(extra):
            raise ValueError(f"unsupported UNet option {extra}={config[extra]!r}")
    blocks = len(config["block_out_channels"])
    modules: list[_Module] = [
        ("conv_in", "input_blocks.0.0", {}),
        ("time_embedding.linear_1", "time_embed.0", {}),
        ("time_embedding.linear_2", "time_embed.2", {}),
        ("mid_block.resnets.0", "middle_block.0", _UNET_RESNET),
        ("mid_block.attentions.0", "middle_block.1", {}),
        ("mid_block.resnets.1", "middle_block.2", _UNET_RESNET),
        ("conv_norm_out", "out.0", {}),
        ("conv_out", "out.2", {}),
    ]
    # input_blocks.0 is conv_in; each down block then has one entry per layer, and all but the
    # last one more for its downsampler.
    index = 1
    for block, kind in enumerate(config["down_block_types"]):
        source = f"down_blocks.{block}"
        for layer in range(layers):
            target = f"input_blocks.{index}"
            modules.append((f"{source}.resnets.{layer}", f"{target}.0", _UNET_RESNET))
            if "CrossAttn" in kind:
                modules.append((f"{source}.attentions.{layer}", f"{target}.1", {}))
            index += 1
        if block < blocks - 1:
            modules.append((f"{source}.downsamplers.0.conv", f"input_blocks.{index}.0.op", {}))
            index += 1
    # Up blocks have one layer more, and the upsampler joins the block's last entry.
    index = 0
    for block, kind in enumerate(config["up_block_types"]):
        source, attends = f"up_blocks.{block}", "CrossAttn" in kind
        for layer in range(layers + 1):
            target = f"output_blocks.{index}"
            modules.append((f"{source}.resnets.{layer}", f"{target}.0", _UNET_RESNET))
            if attends:
                modules.append((f"{source}.attentions.{layer}", f"{target}.1", {}))
            index += 1
        if block < blocks - 1:
            slot = 2 if attends else 1
            upsampler = f"output_blocks.{index - 1}.{slot}.conv"
            modules.append((f"{source}.upsamplers.0.conv", upsampler, {}))
    return modules


def _vae_modules(config: Mapping[str, Any]) -> list[_Module]:
    """Where each VAE module of diffusers sits in the original ``encoder.down`` / ``decoder.up``."""
    layers = config["layers_per_block"]
    blocks = len(config["block_out_channels"])
    modules: list[_Module] = [
        ("quant_conv", "quant_conv", {}),
        ("post_quant_conv", "post_quant_conv", {}),
    ]
    for part in ("encoder", "decoder"):
        modules += [
            (f"{part}.conv_in", f"{part}.conv_in", {}),
            (f"{part}.conv_norm_out", f"{part}.norm_out", {}),
            (f"{part}.conv_out", f"{part}.conv_out", {}),
            (f"{part}.mid_block.resnets.0", f"{part}.mid.block_1", _VAE_RESNET),
            (f"{part}.mid_block.attentions.0", f"{part}.mid.attn_1", _VAE_ATTENTION),
            (f"{part}.mid_block.resnets.1", f"{part}.mid.block_2", _VAE_RESNET),
        ]
    for block in range(blocks):
        source, target = f"encoder.down_blocks.{block}", f"encoder.down.{block}"
        for layer in range(layers):
            modules.append((f"{source}.resnets.{layer}", f"{target}.block.{layer}", _VAE_RESNET))
        if block < blocks - 1:
            modules.append((f"{source}.downsamplers.0.conv", f"{target}.downsample.conv", {}))
    # The original decoder numbers its levels from the highest resolution: the reverse of
    # diffusers' up_blocks.
    for block in range(blocks):
        source, target = f"decoder.up_blocks.{block}", f"decoder.up.{blocks - 1 - block}"
        for layer in range(layers + 1):
            modules.append((f"{source}.resnets.{layer}", f"{target}.block.{layer}", _VAE_RESNET))
        if block < blocks - 1:
            modules.append((f"{source}.upsamplers.0.conv", f"{target}.upsample.conv", {}))
    return modules


def _rename(state: Mapping[str, Any], modules: list[_Module]) -> dict[str, Any]:
    """`state` under the original names; every key must belong to one of `modules`."""
    by_prefix = {source: (target, renames) for source, target, renames in modules}
    renamed: dict[str, Any] = {}
    for key, tensor in state.items():
        parts = key.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            found = by_prefix.get(".".join(parts[:cut]))
            if found is not None:
                break
        else:
            raise ValueError(f"no original name for {key}")
        target, renames = found
        rest = ".".join(parts[cut:])
        for old, new in renames.items():
            if rest.startswith(old + "."):
                rest = new + rest[len(old) :]
                break
        renamed[f"{target}.{rest}"] = tensor
    return renamed


def _vae_to_ldm(state: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    renamed = _rename(state, _vae_modules(config))
    # The original mid-block attention projects with 1x1 convolutions, not linear layers.
    for key, tensor in renamed.items():
        if ".mid.attn_1." in key and key.endswith(".weight") and tensor.ndim == 2:
            renamed[key] = tensor[:, :, None, None]
    return renamed


def _clip_to_ldm(state: Mapping[str, Any]) -> dict[str, Any]:
    # Original checkpoints keep transformers' CLIPTextModel names, which wrapped everything in
    # `text_model` (transformers 5.6 dropped the wrapper).
    return {
        key if key.startswith("text_model.") else f"text_model.{key}": tensor
        for key, tensor in state.items()
    }


def ldm_state_dict(pipe: Any) -> dict[str, Any]:
    """The tensors of a StableDiffusionPipeline under the original single-file names."""
    tensors: dict[str, Any] = {}
    unet = _rename(pipe.unet.state_dict(), _unet_modules(pipe.unet.config))
    vae = _vae_to_ldm(pipe.vae.state_dict(), pipe.vae.config)
    text = _clip_to_ldm(pipe.text_encoder.state_dict())
    for prefix, part in ((UNET_PREFIX, unet), (VAE_PREFIX, vae), (TEXT_ENCODER_PREFIX, text)):
        tensors.update({prefix + key: tensor for key, tensor in part.items()})
    return tensors


def _pipeline(pipe_or_folder: Any) -> Any:
    if not isinstance(pipe_or_folder, (str, Path)):
        return pipe_or_folder
    from diffusers import StableDiffusionPipeline

    return StableDiffusionPipeline.from_pretrained(
        pipe_or_folder, local_files_only=True, safety_checker=None
    )


def save_tiny_single_file(pipe_or_folder: Any, path: Path) -> Path:
    """Write the pipeline (or the diffusers folder) `pipe_or_folder` as the single file `path`."""
    from safetensors.torch import save_file

    tensors = ldm_state_dict(_pipeline(pipe_or_folder))
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({key: t.detach().contiguous() for key, t in tensors.items()}, str(path))
    return path


def save_configs_only(folder: Path, target: Path) -> Path:
    """Copy the diffusers folder `folder` to `target` without its weights; return `target`."""

    def weights(_directory: str, names: list[str]) -> list[str]:
        return [name for name in names if name.endswith(_WEIGHT_SUFFIXES)]

    shutil.copytree(folder, target, ignore=weights)
    return target
