"""Files dropped into the asset browser: received in chunks, with progress in the progress
area, then imported through the asset library. A refused file becomes a toast with the reason."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from ..model import AssetCategory, TaskFailedEvent, TaskProgressEvent, TaskSuccessEvent
from ..storage import ProjectStore
from ..storage.assets import AssetError
from ..storage.media import UploadError
from .session import StudioSession, describe_error

__all__ = ["UploadReceiver", "import_upload"]

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff")


@dataclass
class _Upload:
    name: str
    size: int
    category: str
    chunks: list[bytes] = field(default_factory=list)
    received: int = 0


def import_upload(store: ProjectStore, category: str, name: str, data: bytes) -> Any:
    """Import one uploaded file into `category` as an asset named after the file; return it.

    A new character made from an image gets it as its base face. A file named like an asset
    that exists joins that asset.
    """
    title = PurePath(name).stem.replace("_", " ").strip() or name
    library = store.assets
    existing = [a for a in library.list(category) if a.name.casefold() == title.casefold()]
    picture = PurePath(name).suffix.lower() in _IMAGE_SUFFIXES
    if category == AssetCategory.CHARACTERS.value and not existing and picture:
        return library.create_character(title, base_face=(name, data))
    asset, _ = library.add(category, title, [(name, data)])
    return asset


class UploadReceiver:
    """Puts uploads together from their chunks and imports them into the open project."""

    def __init__(self, session: StudioSession) -> None:
        self.session = session
        self._uploads: dict[str, _Upload] = {}

    def handle(self, msg: dict[str, Any], category: str) -> str | None:
        """Apply one upload message; return the id of an asset it created or added to."""
        action, ident = msg.get("action"), str(msg.get("upload") or "")
        if not ident:
            return None
        task = f"upload:{ident}"
        if action == "upload_start":
            name = str(msg.get("name") or "file")
            size = max(int(msg.get("size") or 0), 0)
            self._uploads[ident] = _Upload(name, size, category)
            self.session.tasks.start(task, None, f"Upload {name}", step="uploading")
            self.session.expand_progress = True
            return None
        upload = self._uploads.get(ident)
        if upload is None:
            return None
        if action == "upload_chunk":
            try:
                chunk = base64.b64decode(str(msg.get("data") or ""), validate=True)
            except (binascii.Error, ValueError):
                self._fail(ident, "the browser sent damaged data")
                return None
            upload.chunks.append(chunk)
            upload.received += len(chunk)
            progress = min(upload.received / upload.size, 1.0) if upload.size else 1.0
            self._progress(task, progress * 0.9, "uploading")
            return None
        if action == "upload_error":
            self._fail(ident, str(msg.get("error") or "the browser could not read the file"))
            return None
        if action == "upload_end":
            return self._finish(ident)
        return None

    def _progress(self, task: str, progress: float, step: str) -> None:
        self.session.tasks.handle(TaskProgressEvent(task_id=task, progress=progress, step=step))

    def _finish(self, ident: str) -> str | None:
        upload = self._uploads.pop(ident)
        task = f"upload:{ident}"
        store = self.session.store
        if store is None:
            self._fail(ident, "no project is open", upload)
            return None
        self._progress(task, 0.95, "importing")
        try:
            asset = import_upload(store, upload.category, upload.name, b"".join(upload.chunks))
        except (UploadError, AssetError, OSError, ValueError) as exc:
            self._fail(ident, describe_error(exc), upload)
            return None
        self.session.tasks.handle(
            TaskSuccessEvent(task_id=task, result={"assetId": asset.asset_id})
        )
        self.session.notify("success", f"Uploaded {upload.name} into {asset.name}")
        self.session.sync()
        return asset.asset_id

    def _fail(self, ident: str, reason: str, upload: _Upload | None = None) -> None:
        upload = upload or self._uploads.pop(ident, None)
        name = upload.name if upload is not None else "file"
        self.session.tasks.handle(TaskFailedEvent(task_id=f"upload:{ident}", error=reason))
        self.session.notify("error", f"Upload of {name} refused: {reason}")
