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
from .model.errors import ManifestError
from .model.screenplay import ShotSplit

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
    thumbnail_size: int = Field(
        default=256, ge=16, le=4096, description="Longest side of thumbnails, in pixels."
    )
    take_journal_limit: int = Field(
        default=100, ge=1, description="Takes journalled per scene before its file is rewritten."
    )
    take_commit_batch: int = Field(
        default=100, ge=1, description="New takes gathered into one commit when auto-committing."
    )
    reference_set_size: int = Field(
        default=3,
        ge=1,
        description="Distinct reference angles that make a character's reference set.",
    )
    default_shot_frames: int = Field(
        default=48, ge=1, description="Length of a new shot in frames."
    )
    undo_limit: int = Field(default=200, ge=1, description="Edits a session can undo.")
    script_shot_split: ShotSplit = Field(
        default=ShotSplit.ACTION,
        description="Draft shots of an imported screenplay: one per action block (action), "
        "also one per speech (speech), or one per scene (scene).",
    )
    export_video_preset: str = Field(
        default="veryfast", description="x264 preset of exported animatics (ultrafast...veryslow)."
    )
    export_video_crf: int = Field(
        default=23, ge=0, le=51, description="x264 quality of exported animatics; lower is better."
    )
    export_font: Path | None = Field(
        default=None,
        description="TrueType font for captions, storyboard cards and PDFs; empty: the system's.",
    )
    status_workers: int = Field(
        default=8, ge=1, description="Parallel git status calls when listing."
    )
    studio_address: str = Field(default="127.0.0.1", description="Address the studio binds.")
    studio_port: int = Field(default=5006, ge=0, le=65535, description="Port the studio binds.")
    studio_watch_debounce_ms: int = Field(
        default=50,
        ge=1,
        description="Milliseconds of file changes the studio gathers per update.",
    )
    studio_watch_step_ms: int = Field(
        default=20, ge=1, description="Milliseconds between the studio's checks for file changes."
    )
    lab_port: int = Field(default=8888, ge=0, le=65535, description="Port JupyterLab binds.")
    lab_notebook_dir: Path | None = Field(
        default=None,
        description="Folder JupyterLab opens in; empty: notebooks/ of the checkout, else here.",
    )
    render_gpus: int | None = Field(
        default=None, ge=0, description="GPUs for local workers; empty to detect them."
    )
    render_cpu_workers: int = Field(
        default=1, ge=0, description="Worker processes without a GPU in the embedded cluster."
    )
    render_worker_threads: int | None = Field(
        default=None, ge=1, description="Threads per worker process; empty to share the cores."
    )
    render_dashboard_address: str = Field(
        default="127.0.0.1:8787", description="Dask dashboard of the embedded cluster; empty: off."
    )
    render_start_timeout: float = Field(
        default=60.0, gt=0, description="Seconds to wait for the cluster and its workers."
    )
    render_no_worker_timeout: float = Field(
        default=5.0, gt=0, description="Seconds a job may wait when no worker can run it."
    )
    render_allowed_failures: int = Field(
        default=3, ge=0, description="Worker losses a job survives in the embedded cluster."
    )
    render_shared_workspace: bool | None = Field(
        default=None,
        description="Workers read inputs from the workspace; empty: only on the embedded cluster.",
    )
    render_check_models: bool = Field(
        default=True,
        description="Check diffusion models and LoRAs in the workspace before submitting a "
        "render; turn off when the models live only on the workers.",
    )
    render_progress_interval: float = Field(
        default=0.05, ge=0, description="Fewest seconds between two progress reports of a job."
    )
    render_log_tail_lines: int = Field(
        default=20, ge=1, description="Log lines of a failed container shown in its error."
    )
    render_scratch_dir: Path | None = Field(
        default=None, description="Folder for container job files; empty: the system's temp."
    )
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
    # The file uses camelCase names; keyed by Python names, the layers above can override them.
    names = {field.alias or name: name for name, field in Settings.model_fields.items()}
    data = {names.get(key, key): value for key, value in data.items()}
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
    file = settings_path(root)
    layers = [
        (_from_file(file), lambda key: f"{file}: {Settings.model_fields[key].alias or key}"),
        (_from_environment(environ), lambda key: f"{ENV_PREFIX}{key.upper()}"),
        ({k: v for k, v in overrides.items() if v is not None}, lambda key: f"option {key}"),
    ]
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for values, describe in layers:
        for key, value in values.items():
            merged[key] = value
            origin[key] = describe(key) if key in Settings.model_fields else key
    merged["workspace"] = root
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        problems = []
        for item in exc.errors(include_url=False):
            key = str(item["loc"][0]) if item["loc"] else ""
            where = origin.get(key, key or "settings")
            problems.append(f"{where}: {item['msg']} (got {item.get('input')!r})")
        raise ManifestError("settings", problems) from None
