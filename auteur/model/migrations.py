"""Bring manifests written by earlier versions of Auteur up to the current schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .project import SCHEMA_VERSION

__all__ = ["SchemaVersionError", "migrate_manifest"]


class SchemaVersionError(ValueError):
    """The manifest's schemaVersion is not one this version of Auteur understands."""


def _from_v0(data: dict[str, Any]) -> dict[str, Any]:
    # Version 0 is the original web platform's manifest: no schemaVersion, and any of
    # narrative, assets, canvas or settings may be missing. Defaults fill those in.
    data.setdefault("narrative", {})
    data.setdefault("assets", {})
    data.setdefault("canvas", {"nodes": [], "edges": [], "viewport": {}})
    data.setdefault("settings", {})
    return data


_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _from_v0}


def migrate_manifest(data: dict[str, Any]) -> dict[str, Any]:
    """Return `data` migrated in place to the current schema version."""
    if not isinstance(data, dict):
        raise SchemaVersionError("project.json must hold a JSON object at the top level")
    version = data.get("schemaVersion", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise SchemaVersionError(f"schemaVersion: expected a whole number, got {version!r}")
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"schemaVersion: {version} was written by a newer Auteur; "
            f"this version reads up to {SCHEMA_VERSION}"
        )
    while version < SCHEMA_VERSION:
        data = _MIGRATIONS[version](data)
        version += 1
    data["schemaVersion"] = SCHEMA_VERSION
    return data
