"""Build a tiny Stable-Diffusion-style model from configs, for tests and benchmarks.

Random weights, a 64-token vocabulary and small UNet, VAE and text encoder: it saves to a few
megabytes and renders a 64x64 image in two steps in well under a second on a CPU.
"""

from __future__ import annotations

import atexit
import json
import shutil
import struct
import tempfile
import threading
from pathlib import Path

__all__ = [
    "TINY_CROSS_ATTENTION_DIM",
    "build_tiny_pipeline",
    "foreign_lora",
    "install_tiny_model",
    "save_tiny_model",
    "tiny_model_path",
]

TINY_CROSS_ATTENTION_DIM = 32

_WORDS = [
    "a",
    "photo",
    "of",
    "the",
    "shot",
    "close-up",
    "wide",
    "medium",
    "at",
    "harbour",
    "dawn",
    "red",
    "coat",
    "anna_v1",
    "ben_v1",
    "anna",
    "ben",
    "man",
    "woman",
    "portrait",
    "person",
    "face",
    "mood",
    "style",
    "colour",
    "palette",
]


def _tokenizer(folder: Path):
    from transformers import CLIPTokenizer

    specials = ["<|startoftext|>", "<|endoftext|>"]
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)] + list("0123456789_-.,:")
    tokens = specials + [t + "</w>" for t in letters + _WORDS] + letters
    vocab = {token: index for index, token in enumerate(dict.fromkeys(tokens))}
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    # Without model_max_length the tokenizer pads to a huge length and fails.
    return CLIPTokenizer(
        str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77
    )


def build_tiny_pipeline(seed: int = 0, cross_attention_dim: int = TINY_CROSS_ATTENTION_DIM):
    """A StableDiffusionPipeline with tiny random components (imports torch)."""
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=8,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=cross_attention_dim,
        attention_head_dim=8,
        norm_num_groups=32,
    )
    vae = AutoencoderKL(
        block_out_channels=(32, 32, 32, 32),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=32,
        sample_size=64,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
            hidden_size=cross_attention_dim,
            intermediate_size=37,
            layer_norm_eps=1e-05,
            num_attention_heads=4,
            num_hidden_layers=2,
            vocab_size=256,
            max_position_embeddings=77,
        )
    )
    with tempfile.TemporaryDirectory() as scratch:
        tokenizer = _tokenizer(Path(scratch))
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1
    )
    return StableDiffusionPipeline(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def save_tiny_model(
    folder: Path, seed: int = 0, cross_attention_dim: int = TINY_CROSS_ATTENTION_DIM
) -> Path:
    """Save a tiny model as a diffusers folder at `folder`; return it."""
    build_tiny_pipeline(seed, cross_attention_dim).save_pretrained(folder)
    return folder


_cache_lock = threading.Lock()
_cached: dict[int, Path] = {}


def tiny_model_path(seed: int = 0) -> Path:
    """A tiny model saved once per test process, in a temporary folder removed at exit."""
    with _cache_lock:
        if seed not in _cached:
            folder = Path(tempfile.mkdtemp(prefix="auteur-tiny-model-"))
            atexit.register(shutil.rmtree, folder, True)
            _cached[seed] = save_tiny_model(folder / "tiny-sd", seed)
        return _cached[seed]


def install_tiny_model(workspace: Path, name: str = "tiny-sd") -> Path:
    """Copy the tiny model into `workspace`'s ``Library/AI_Models/<name>``; return it."""
    target = workspace / "Library" / "AI_Models" / name
    shutil.copytree(tiny_model_path(), target)
    return target


def foreign_lora(path: Path, cross_attention_dim: int) -> Path:
    """Write a LoRA trained for a base whose text encoder is `cross_attention_dim` wide."""
    name = "unet.down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.lora.down.weight"
    size = 4 * cross_attention_dim * 4
    header = {name: {"dtype": "F32", "shape": [4, cross_attention_dim], "data_offsets": [0, size]}}
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(size))
    return path
