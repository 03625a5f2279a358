"""Writing exports: only into the project's `06_Exports`, and atomically."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from ..storage._atomic import TEMP_SUFFIX, atomic_write, fsync_dir

__all__ = ["EXPORTS_DIR", "export_path", "exporting", "write_export"]

#: Where exports go; git ignores it.
EXPORTS_DIR = "06_Exports"


def export_path(root: Path, name: str) -> Path:
    """The path of export `name` in the project at `root`, creating `06_Exports` if needed."""
    folder = root / EXPORTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if path.parent != folder:
        raise ValueError(f"export name {name!r} must be a plain file name")
    return path


@contextlib.contextmanager
def exporting(root: Path, name: str) -> Iterator[Path]:
    """Yield a temporary path to write export `name` to; it replaces the export on success.

    A failed or interrupted export leaves the previous file as it was.
    """
    path = export_path(root, name)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}")
    try:
        yield temp
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def write_export(root: Path, name: str, data: bytes | str) -> Path:
    """Write export `name` atomically and return its path."""
    path = export_path(root, name)
    atomic_write(path, data)
    return path
