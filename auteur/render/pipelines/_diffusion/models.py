"""Finding and checking diffusion models and LoRAs, without loading torch.

Everything here reads files only, so the studio can check a render or a training before it is
submitted, and a worker can refuse a bad job before it spends any GPU time.

A base model is a diffusers folder or a single ``.safetensors`` checkpoint. A single file holds
weights only; the configs of its architecture come from the job's ``modelConfig`` (a diffusers
folder, relative to the models folder or absolute), else from a folder named after the file's
stem next to it (``sd15/`` beside ``sd15.safetensors``), else from the local Hugging Face cache
(looked up by the runtime, never downloaded).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import struct
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ...contract import PipelineError, RenderJob

__all__ = [
    "AI_MODELS_DIR",
    "LORA_METADATA_BASE",
    "LORA_METADATA_CROSS_ATTENTION",
    "MODEL_CONFIG_HINT",
    "ModelInfo",
    "check_lora",
    "file_sha256",
    "folder_sha256",
    "model_info",
    "models_dir",
    "pipeline_class_name",
    "read_safetensors_header",
    "resolve_model",
    "resolve_model_config",
    "text_width",
]

#: Where a workspace keeps its models, relative to its root.
AI_MODELS_DIR = Path("Library") / "AI_Models"
#: Environment variable naming the models folder on a worker (a container, a remote machine).
MODELS_DIR_ENV = "AUTEUR_MODELS_DIR"
#: Metadata keys Auteur writes into the LoRAs it trains.
LORA_METADATA_BASE = "auteur.base_model_sha256"
LORA_METADATA_CROSS_ATTENTION = "auteur.cross_attention_dim"
#: What to do when a single-file model has no configs; ends the errors that say so.
MODEL_CONFIG_HINT = (
    "set parameters.modelConfig to a diffusers folder with its configs "
    "(model_index.json and each component's config files; the weights are not needed)"
)
#: In a single-file (original LDM) checkpoint, the UNet's cross-attention key projections.
_LDM_UNET_PREFIX = "model.diffusion_model."
_LDM_CROSS_ATTENTION_KEY = "attn2.to_k.weight"
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".json", ".txt", ".model")

_hash_lock = threading.Lock()
_hashes: dict[Path, tuple[tuple[int, int], str]] = {}


def models_dir(parameters: Mapping[str, Any], project_root: str | None = None) -> Path:
    """The models folder a job uses: ``$AUTEUR_MODELS_DIR`` (set where the worker sees the
    models elsewhere, as in a container), the job's ``modelsDir``, or the ``Library/AI_Models``
    of the workspace holding the project (else ``$AUTEUR_WORKSPACE``'s)."""
    named = os.environ.get(MODELS_DIR_ENV) or parameters.get("modelsDir")
    if named:
        return Path(str(named)).expanduser()
    if project_root:
        # Projects live in <workspace>/Projects/<project>.
        return Path(project_root).parent.parent / AI_MODELS_DIR
    from ....config import ENV_PREFIX, default_workspace

    workspace = os.environ.get(ENV_PREFIX + "WORKSPACE")
    return (Path(workspace).expanduser() if workspace else default_workspace()) / AI_MODELS_DIR


def resolve_model(name: str, folder: Path) -> Path:
    """The model `name` (a diffusers folder or a ``.safetensors`` file) inside `folder`."""
    if not name:
        raise PipelineError(
            "no diffusion model is configured: set the template's parameters.model to a folder "
            f"or .safetensors file in {folder}"
        )
    path = Path(name).expanduser()
    if not path.is_absolute():
        path = folder / path
    if path.is_dir():
        if not (path / "model_index.json").is_file():
            raise PipelineError(
                f"diffusion model {path} is not a diffusers model: model_index.json is missing"
            )
        return path
    if path.is_file():
        if path.suffix != ".safetensors":
            raise PipelineError(f"diffusion model {path} must be a .safetensors file or a folder")
        read_safetensors_header(path)
        return path
    raise PipelineError(
        f"diffusion model {path} is missing: put a diffusers folder or a .safetensors file "
        f"there (the workspace's {AI_MODELS_DIR.as_posix()})"
    )


def resolve_model_config(model: Path, name: str, folder: Path) -> Path | None:
    """The diffusers folder whose configs describe the single-file model `model`, if any.

    `name` (the job's ``modelConfig``, relative to `folder` or absolute) must exist; without
    it a folder named after the file's stem next to it is taken when it has a
    ``model_index.json``. None leaves the lookup to the local Hugging Face cache.
    """
    if not name:
        sibling = model.with_suffix("")
        return sibling if (sibling / "model_index.json").is_file() else None
    path = Path(name).expanduser()
    if not path.is_absolute():
        path = folder / path
    if not path.exists():
        raise PipelineError(
            f"model config {path} for {model.name} is missing: parameters.modelConfig must "
            "name a diffusers folder with the configs of the model's architecture"
        )
    if not (path / "model_index.json").is_file():
        raise PipelineError(
            f"model config {path} for {model.name} is not a diffusers folder: "
            "model_index.json is missing"
        )
    return path


def pipeline_class_name(config: Path) -> str:
    """The diffusers pipeline class a config folder's ``model_index.json`` names."""
    index = config / "model_index.json"
    try:
        name = json.loads(index.read_text(encoding="utf-8")).get("_class_name")
    except (OSError, ValueError, AttributeError) as exc:
        raise PipelineError(f"cannot read {index}: {exc}") from None
    if not isinstance(name, str) or not name:
        raise PipelineError(f"{index} names no pipeline class (_class_name)")
    return name


def file_sha256(path: Path) -> str:
    """The sha256 of a file, remembered while the file is unchanged."""
    stat = path.stat()
    key = (stat.st_mtime_ns, stat.st_size)
    with _hash_lock:
        cached = _hashes.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    with _hash_lock:
        _hashes[path] = (key, digest.hexdigest())
    return digest.hexdigest()


def folder_sha256(folder: Path, suffixes: tuple[str, ...] | None = None) -> str:
    """A folder's digest: each file (of `suffixes` only, when given) by its relative path and
    sha256."""
    digest = hashlib.sha256()
    for item in sorted(p for p in folder.rglob("*") if p.is_file()):
        if suffixes is None or item.suffix in suffixes:
            digest.update(item.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(file_sha256(item).encode() + b"\n")
    return digest.hexdigest()


def _model_sha256(path: Path) -> str:
    # A folder's digest covers each weight and config file.
    return file_sha256(path) if path.is_file() else folder_sha256(path, _WEIGHT_SUFFIXES)


class ModelInfo:
    """A base model on disk: where, its digest and what LoRAs must match.

    `config` is the diffusers folder describing a single-file model (None for a folder, or
    when the runtime is to look in the local Hugging Face cache); `config_name` names it in
    recipes (by default its path).
    """

    def __init__(
        self, path: Path, config: Path | None = None, config_name: str | None = None
    ) -> None:
        self.path = path
        self.config = config
        self.config_name = config_name or (str(config) if config else None)
        self.cross_attention_dim = self._cross_attention_dim()

    @functools.cached_property
    def sha256(self) -> str:
        """The model's digest: the file's, or a folder's over its weights and configs."""
        return _model_sha256(self.path)

    def _cross_attention_dim(self) -> int | None:
        if self.path.is_dir():
            return _configured_cross_attention_dim(self.path)
        configured = _configured_cross_attention_dim(self.config) if self.config else None
        stored = _checkpoint_cross_attention_dim(read_safetensors_header(self.path))
        if configured is not None and stored is not None and configured != stored:
            # Caught here, the mismatch costs no GPU time; diffusers would fail on the shapes.
            raise PipelineError(
                f"the configs in {self.config} do not describe {self.path}: its text width is "
                f"{stored}, theirs {configured}; {MODEL_CONFIG_HINT}"
            )
        return configured if configured is not None else stored


def _configured_cross_attention_dim(folder: Path) -> int | None:
    """The text width in a diffusers folder's ``unet/config.json``, if it has one."""
    config = folder / "unet" / "config.json"
    if not config.is_file():
        return None
    try:
        value = json.loads(config.read_text(encoding="utf-8")).get("cross_attention_dim")
    except (OSError, ValueError) as exc:
        raise PipelineError(f"cannot read {config}: {exc}") from None
    return value if isinstance(value, int) else None


def text_width(header: Mapping[str, Any], takes_text: Callable[[str], bool]) -> int | None:
    """The text width a ``.safetensors`` file was made for: the input width of the first 2-D
    tensor whose name `takes_text` accepts (a projection of the text embeddings, shaped
    [width out, text width])."""
    for name, entry in header.items():
        if takes_text(name):
            shape = entry.get("shape") if isinstance(entry, dict) else None
            if isinstance(shape, list) and len(shape) == 2:
                return int(shape[1])
    return None


def _checkpoint_cross_attention_dim(header: Mapping[str, Any]) -> int | None:
    """The text width of a single-file checkpoint, from a cross-attention key projection."""
    return text_width(
        header,
        lambda name: name.startswith(_LDM_UNET_PREFIX) and name.endswith(_LDM_CROSS_ATTENTION_KEY),
    )


def _config_name(config: Path, folder: Path) -> str:
    """How a recipe names a config folder: relative to the models folder when inside it."""
    try:
        return config.relative_to(folder).as_posix()
    except ValueError:
        return str(config)


def model_info(parameters: Mapping[str, Any], project_root: str | None = None) -> ModelInfo:
    """Find and describe the model a job's parameters name, or fail naming the file.

    For a single ``.safetensors`` file, its configs are looked up too (`resolve_model_config`);
    ``modelConfig`` is ignored for a diffusers folder, which has its own.
    """
    folder = models_dir(parameters, project_root)
    path = resolve_model(str(parameters.get("model") or ""), folder)
    if path.is_dir():
        return ModelInfo(path)
    config = resolve_model_config(path, str(parameters.get("modelConfig") or ""), folder)
    return ModelInfo(path, config, _config_name(config, folder) if config else None)


def read_safetensors_header(path: Path) -> dict[str, Any]:
    """The JSON header of a ``.safetensors`` file: tensor names, shapes and ``__metadata__``."""
    try:
        with path.open("rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > 100 * 1024 * 1024:
                raise ValueError("header too large")
            header = json.loads(handle.read(length))
    except (OSError, struct.error, ValueError) as exc:
        raise PipelineError(f"{path} is not a readable .safetensors file: {exc}") from None
    if not isinstance(header, dict):
        raise PipelineError(f"{path} is not a readable .safetensors file")
    return header


def _lora_cross_attention_dim(header: Mapping[str, Any]) -> int | None:
    """The text width a LoRA was trained for, from its cross-attention key projections."""
    return text_width(
        header, lambda name: "attn2.to_k" in name and ("lora_A" in name or "lora.down" in name)
    )


def check_lora(path: Path, model: ModelInfo, shown: str | None = None) -> str:
    """Check the LoRA at `path` fits `model`; return its sha256. `shown` names it in errors."""
    shown = shown or str(path)
    if not path.is_file():
        raise PipelineError(f"LoRA {shown} is missing")
    if path.suffix != ".safetensors":
        raise PipelineError(f"LoRA {shown} must be a .safetensors file")
    header = read_safetensors_header(path)
    metadata = header.get("__metadata__") or {}
    tensors = [key for key in header if key != "__metadata__"]
    if not tensors:
        raise PipelineError(f"LoRA {shown} holds no weights")
    expected = model.cross_attention_dim
    trained = metadata.get(LORA_METADATA_CROSS_ATTENTION)
    width = int(trained) if str(trained or "").isdigit() else _lora_cross_attention_dim(header)
    if expected is not None and width is not None and width != expected:
        raise PipelineError(
            f"LoRA {shown} was trained for a different base model (text width {width}; "
            f"{model.path.name} has {expected}); train it again for {model.path.name}"
        )
    return file_sha256(path)


def job_loras(job: RenderJob) -> list[dict[str, Any]]:
    """The LoRAs of a job's composite prompt: path, strength and trigger word, in order."""
    found: list[dict[str, Any]] = []
    for character in job.prompt.get("characters") or []:
        lora = character.get("lora")
        if lora:
            found.append(
                {
                    "path": lora["path"],
                    "strength": float(lora.get("strength", 1.0)),
                    "triggerWord": lora.get("triggerWord", ""),
                    "character": character.get("assetId", ""),
                }
            )
    return found
