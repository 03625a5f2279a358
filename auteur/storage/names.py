"""Names that are safe as folder and file names on Windows, macOS and Linux."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["NameError_", "check_name", "safe_file_name", "safe_folder_name"]

_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{base}{n}" for base in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]
}
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
_UNDERSCORES = re.compile(r"_{2,}")


class NameError_(ValueError):
    """A name was refused; the message says why."""


def check_name(name: str, what: str, max_length: int) -> str:
    """Return `name` normalised (NFC, trimmed), or raise if it cannot be a name."""
    if not isinstance(name, str):
        raise NameError_(f"{what} must be text, got {type(name).__name__}")
    if _CONTROL.search(name):
        raise NameError_(f"{what} {name!r} contains control characters")
    name = unicodedata.normalize("NFC", name).strip()
    if not name:
        raise NameError_(f"{what} must not be empty")
    if len(name) > max_length:
        raise NameError_(f"{what} is {len(name)} characters long; the limit is {max_length}")
    return name


def _truncate_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")[:max_bytes]
    return encoded.decode("utf-8", errors="ignore")


def safe_folder_name(name: str, max_length: int = 64) -> str:
    """Turn a display name into a portable folder name: ``My Film: Part 2`` → ``My_Film_Part_2``."""
    text = unicodedata.normalize("NFC", name)
    text = _UNSAFE.sub("_", text)
    text = _SPACES.sub("_", text)
    text = _UNDERSCORES.sub("_", text)
    text = text.strip("._ ")
    text = _truncate_utf8(text, max_length).rstrip("._ ")
    if not text:
        raise NameError_(f"{name!r} has no characters that can make a folder name")
    head, dot, rest = text.partition(".")
    if head.upper() in _RESERVED:
        # Windows reads NUL.txt and NUL.tar.gz as the device NUL: mark the part before the dot.
        text = f"{head}_{dot}{rest}"
    return text


def safe_file_name(name: str, max_length: int = 120) -> str:
    """Like `safe_folder_name`, but keeps the extension (lower-cased) intact."""
    text = unicodedata.normalize("NFC", name.replace("\\", "/")).rsplit("/", 1)[-1]
    stem, dot, ext = text.rpartition(".")
    if not dot or not stem.strip("._ "):
        stem, ext = text, ""
    ext = re.sub(r"[^A-Za-z0-9]", "", ext).lower()[:12]
    budget = max_length - (len(ext) + 1 if ext else 0)
    safe_stem = safe_folder_name(stem, max(budget, 8))
    return f"{safe_stem}.{ext}" if ext else safe_stem
