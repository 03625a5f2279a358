"""Take pictures as data URIs, so they show in notebooks without a file server."""

from __future__ import annotations

import base64
import io
import logging
from typing import TYPE_CHECKING

from PIL import Image, UnidentifiedImageError

if TYPE_CHECKING:
    from ..model import Take
    from ..storage import ProjectStore

__all__ = ["take_picture"]

log = logging.getLogger(__name__)


def take_picture(store: ProjectStore, take: Take, box: int = 192) -> str:
    """A JPEG data URI of `take` (its thumbnail when there is one); empty if unreadable."""
    try:
        source = store.takes.thumbnail(take) or store.path / take.path
        with Image.open(source) as image:
            image.thumbnail((box, box))
            picture = image.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        log.debug("no picture for %s: %s", take.path, exc)
        return ""
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")
