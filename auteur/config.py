"""Settings from one place: package defaults, the workspace's settings file, `AUTEUR_*`
environment variables, then explicit overrides (command-line flags), each winning over the last.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from .model._base import CamelModel
from .model.enums import NarrativeStructure, Quality
from .model.errors import ManifestError, describe_validation_error

__all__ = [
    "ENV_PREFIX",
    "SETTINGS_FILE",
    "Settings",
    "default_workspace",
    "load_settings",
    "settings_path",
]

ENV_PREFIX = "AUTEUR_"
SETTINGS_FILE = "settings.json"


def default_workspace() -> Path:
    """The workspace used when nothing else names one: ``~/Auteur_Workspace``."""
    return Path.home() / "Auteur_Workspace"


class Settings(CamelModel):
    """Every tunable of Auteur, with its package default."""

    workspace: Path = Field(default_factory=default_workspace, description="Workspace folder.")
    default_quality: Quality = Field(
        default=Quality.STANDARD, description="Quality of new projects."
    )
    default_structure: NarrativeStructure = Field(
        default=NarrativeStructure.THREE_ACT, description="Narrative structure of new projects."
    )
    scheduler: str | None = Field(
        default=None, description="Dask scheduler address; empty for the embedded local cluster."
    )
    auto_commit: bool = Field(default=True, description="Commit each change made by a command.")
    git_user_name: str = Field(default="Auteur", description="Author of commits when git has none.")
    git_user_email: str = Field(default="auteur@localhost", description="Email for those commits.")
    lock_timeout: float = Field(
        default=10.0, gt=0, description="Seconds to wait for a project lock."
    )
    max_name_length: int = Field(default=120, ge=8, description="Longest project or item name.")
    max_folder_name_length: int = Field(
        default=64, ge=8, description="Longest project folder name."
    )
    max_upload_bytes: int = Field(default=2 * 1024**3, gt=0, description="Largest file to import.")
    default_shot_frames: int = Field(
        default=48, ge=1, description="Length of a new shot in frames."
    )
    undo_limit: int = Field(default=200, ge=1, description="Edits a session can undo.")
    status_workers: int = Field(
        default=8, ge=1, description="Parallel git status calls when listing."
    )
    studio_address: str = Field(default="127.0.0.1", description="Address the studio binds.")
    studio_port: int = Field(default=5006, ge=0, le=65535, description="Port the studio binds.")
    lab_port: int = Field(default=8888, ge=0, le=65535, description="Port JupyterLab binds.")
    ui: dict[str, Any] = Field(default_factory=dict, description="Studio UI preferences.")


def settings_path(workspace: Path) -> Path:
    """Where the settings file of `workspace` lives."""
    return workspace / SETTINGS_FILE


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is None or name == "workspace":
            continue
        values[name] = json.loads(raw) if field.annotation == dict[str, Any] else raw
    return values


def _from_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ManifestError(
            str(path), [f"line {exc.lineno} column {exc.colno}: {exc.msg}"]
        ) from None
    if not isinstance(data, dict):
        raise ManifestError(str(path), ["(top level): expected a JSON object"])
    data.pop("workspace", None)  # the file lives in the workspace; it cannot move it
    return data


def load_settings(
    workspace: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Return the settings in force: defaults < settings file < environment < `overrides`.

    `workspace` (a flag) wins over ``AUTEUR_WORKSPACE``, which wins over the default.
    Overrides that are None are ignored, so unset flags can be passed straight through.
    """
    environ = os.environ if environ is None else environ
    if workspace is None:
        workspace = environ.get(ENV_PREFIX + "WORKSPACE") or default_workspace()
    root = Path(workspace).expanduser()
    merged: dict[str, Any] = {}
    merged.update(_from_file(settings_path(root)))
    merged.update(_from_environment(environ))
    merged.update({k: v for k, v in overrides.items() if v is not None})
    merged["workspace"] = root
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise ManifestError("settings", describe_validation_error(exc)) from None
