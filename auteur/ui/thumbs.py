"""Small pictures of takes and assets as data URIs, so they show in the browser and in
JupyterLab alike without a file server."""

from __future__ import annotations

import base64
import functools
import io
import logging
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from ..model import Take
from ..storage import ProjectStore
from ..storage.media import thumbnail_path

log = logging.getLogger(__name__)

__all__ = ["image_uri", "take_uri"]


@functools.lru_cache(maxsize=1024)
def _encode(path: str, mtime_ns: int, size: int, box: int) -> str:
    # mtime and size are part of the key: a changed file gets a fresh picture.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            image.draft("RGB", (box, box))
            image.thumbnail((box, box))
            picture = image.convert("RGB")
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def image_uri(root: Path, rel: str | None, box: int = 192) -> str:
    """A JPEG data URI of project file `rel`, at most `box` pixels wide and high.

    Uses the cached thumbnail when there is one. Returns "" for a missing or unreadable file.
    """
    if not rel:
        return ""
    for candidate in (root / thumbnail_path(rel), root / rel):
        try:
            stat = candidate.stat()
        except OSError:
            continue
        try:
            return _encode(str(candidate), stat.st_mtime_ns, stat.st_size, box)
        except (OSError, UnidentifiedImageError, ValueError):
            continue
    return ""


def take_uri(store: ProjectStore, take: Take, box: int = 192) -> str:
    """A data URI of `take`'s picture, from its thumbnail (made once and kept in the cache)."""
    try:
        store.takes.thumbnail(take)
    except Exception as exc:  # a damaged take still shows, without a picture
        log.debug("no thumbnail for %s: %s", take.path, exc)
    return image_uri(store.path, take.path, box)
