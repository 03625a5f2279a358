"""The dispatcher: which pipeline renders a shot, from its quality tier and the cluster at hand.

Each quality tier maps to a pipeline template, a JSON file of `PipelineConfig` fields. The
package ships one per tier; the workspace's ``Library/Pipeline_Templates/`` holds copies that the
user may edit, and any file there whose ``quality`` names a tier replaces the package's template
for that tier.

A template may name a ``fallback`` pipeline. The fallback renders instead when no worker of the
cluster offers the resources the template asks for: the package's ``low`` tier asks for a GPU and
falls back to the CPU ``previz`` pipeline, so the studio renders on any machine. Tiers without a
fallback fail clearly when no worker can run them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from ..config import Settings
from ..model import ManifestError, Project, Quality, Shot, describe_validation_error
from ..storage import atomic_write
from .contract import PipelineConfig

__all__ = [
    "PIPELINE_TEMPLATES_DIR",
    "Dispatcher",
    "builtin_pipeline_templates",
    "ensure_pipeline_templates",
    "offers",
]

#: Where a workspace keeps its pipeline templates, relative to its root.
PIPELINE_TEMPLATES_DIR = Path("Library") / "Pipeline_Templates"


def builtin_pipeline_templates() -> dict[str, bytes]:
    """The package's default templates: file name → JSON bytes."""
    folder = resources.files(__package__).joinpath("templates")
    return {
        entry.name: entry.read_bytes()
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    }


def ensure_pipeline_templates(workspace: Path) -> Path:
    """Copy the package's templates into the workspace's Library, never replacing user edits."""
    folder = Path(workspace) / PIPELINE_TEMPLATES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in builtin_pipeline_templates().items():
        target = folder / name
        if not target.exists():
            atomic_write(target, data, durable=False)
    return folder


def _parse(raw: bytes, source: str) -> PipelineConfig:
    try:
        return PipelineConfig.model_validate(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise ManifestError(source, [f"line {exc.lineno} column {exc.colno}: {exc.msg}"]) from None
    except ValidationError as exc:
        raise ManifestError(source, describe_validation_error(exc)) from None


def offers(capabilities: Mapping[str, float], needs: Mapping[str, float]) -> bool:
    """True when a worker with `capabilities` can hold a job that `needs` these resources."""
    return all(capabilities.get(name, 0) >= amount for name, amount in needs.items())


class Dispatcher:
    """Maps quality tiers to pipeline configurations and picks the one a shot renders with."""

    def __init__(self, mappings: Mapping[Quality, PipelineConfig], sources: Mapping[Quality, str]):
        self._mappings = dict(mappings)
        self._sources = dict(sources)

    @classmethod
    def from_folder(cls, folder: Path | None) -> Dispatcher:
        """Package defaults, replaced tier by tier by the templates in `folder`."""
        mappings: dict[Quality, PipelineConfig] = {}
        sources: dict[Quality, str] = {}
        for name, raw in builtin_pipeline_templates().items():
            config = _parse(raw, f"package template {name}")
            if config.quality is not None:
                mappings[config.quality] = config
                sources[config.quality] = f"package:{name}"
        claimed: dict[Quality, Path] = {}
        if folder is not None and folder.is_dir():
            for path in sorted(folder.glob("*.json")):
                config = _parse(path.read_bytes(), str(path))
                if config.quality is None:
                    continue
                if config.quality in claimed:
                    other = claimed[config.quality]
                    problem = f"quality {config.quality.value!r} is already mapped by {other}"
                    raise ManifestError(str(path), [problem])
                claimed[config.quality] = path
                mappings[config.quality] = config
                sources[config.quality] = str(path)
        missing = [q.value for q in Quality if q not in mappings]
        if missing:
            raise ManifestError("pipeline templates", [f"no template for {', '.join(missing)}"])
        return cls(mappings, sources)

    @classmethod
    def from_settings(cls, settings: Settings) -> Dispatcher:
        """The dispatcher of the settings' workspace, its Library templates installed first."""
        return cls.from_folder(ensure_pipeline_templates(settings.workspace))

    def mappings(self) -> dict[Quality, PipelineConfig]:
        """Every tier's pipeline configuration, lowest tier first."""
        return {q: self._mappings[q] for q in Quality}

    def source(self, quality: Quality | str) -> str:
        """Where the template of `quality` came from: a file path or ``package:<name>``."""
        return self._sources[Quality(quality)]

    @staticmethod
    def quality_for(project: Project, shot: Shot, override: Quality | str | None = None) -> Quality:
        """The tier a shot renders at: an explicit override, else the shot's, else the project's."""
        if override is not None:
            return Quality(override)
        return shot.quality or project.quality

    def config_for(
        self,
        quality: Quality | str,
        capabilities: list[Mapping[str, float]] | None = None,
    ) -> PipelineConfig:
        """The pipeline for `quality`, given what each worker offers (None: do not check).

        When no worker offers what the tier's pipeline needs and the tier has a fallback, the
        fallback is chosen; otherwise the tier's pipeline is returned as it is and the render
        service reports clearly that no worker can run it.
        """
        config = self._mappings[Quality(quality)]
        if capabilities is None:
            return config
        candidate: PipelineConfig | None = config
        while candidate is not None:
            if any(offers(worker, candidate.resources) for worker in capabilities):
                return candidate
            candidate = candidate.fallback
        return config
