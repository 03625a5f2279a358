"""Durable file writes: temp file, fsync, os.replace, then fsync of the folder."""

from __future__ import annotations

import os
import sys
import threading
import uuid
from pathlib import Path

__all__ = [
    "TEMP_SUFFIX",
    "atomic_write",
    "filesystem_type",
    "fsync_dir",
    "is_temp_file",
    "names_follow_file_fsync",
]

TEMP_SUFFIX = ".auteur-tmp"
#: Filesystems where an fsync of a new file also makes its name durable: ext3/ext4 and XFS
#: commit their metadata journal in order up to the file, and btrfs logs a new file's names
#: with it. Elsewhere (overlay, network filesystems...) the folder is flushed as well.
_NAMES_FOLLOW_FILES = frozenset({"ext3", "ext4", "xfs", "btrfs"})
_types_lock = threading.Lock()
_types: dict[int, str] = {}


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries to disk, where the platform allows it."""
    if os.name == "nt":  # Windows cannot open a folder for fsync; NTFS journals renames.
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_temp_file(path: Path) -> bool:
    """True for the leftovers of an interrupted atomic write."""
    return path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX)


def atomic_write(path: Path, data: bytes | str, *, durable: bool = True) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new file."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{TEMP_SUFFIX}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


def filesystem_type(path: Path) -> str:
    """The type of the filesystem holding `path` (``ext4``...), or "" where it can't be told."""
    device = os.stat(path).st_dev
    with _types_lock:
        known = _types.get(device)
    if known is not None:
        return known
    found = ""
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as mounts:
                for line in mounts:
                    # ID parent major:minor root mountpoint options... - type source options
                    fields = line.split()
                    major, _, minor = fields[2].partition(":")
                    if "-" in fields and os.makedev(int(major), int(minor)) == device:
                        found = fields[fields.index("-") + 1]
        except (OSError, ValueError, IndexError):
            found = ""
    with _types_lock:
        _types[device] = found
    return found


def names_follow_file_fsync(folder: Path) -> bool:
    """True where an fsync of a file created in `folder` also makes its name durable, so the
    folder needs no fsync of its own."""
    return filesystem_type(folder) in _NAMES_FOLLOW_FILES
