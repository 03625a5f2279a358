"""Takes: every render of a shot, kept as a numbered file that is never overwritten.

Numbering. A take of shot ``1/2/3`` (chapter 1, scene 2, shot 3) is written as::

    03_Renders/Chapter_01/Scene_02/Shot_03/S02_S03_take07.png
    03_Renders/Chapter_01/Scene_02/Shot_03/S02_S03_take07.json   (its recipe)

Chapter, scene and shot numbers have two digits (more past 99). ``S02_S03`` is the shot's code,
``S<scene number>_S<shot number>``, and ``take07`` the take number: two digits, three past 99.

A shot's takes are numbered from 1. The next number is one more than the highest the shot has
registered, skipping every name already taken in the folder or in the trash, so a number is never
given twice. A writer claims its name by creating the file with ``O_CREAT | O_EXCL``: the
operating system lets exactly one writer create a name, across threads and processes, and the
others move on to the next number. The content is written and flushed to disk outside the
project lock; only registering the take in the shot is a (short) transaction.

Folders follow the shot's numbers when the take is made. Moving a shot later leaves its earlier
takes where they are; each take records its own path.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic_core import to_json

from ..model import AddressError, Recipe, Take, locate, utcnow
from ..model.address import shot_code
from ..model.events import ProjectUpdateEvent
from ._atomic import fsync_dir, names_follow_file_fsync
from .media import (
    TRASH_DIR,
    UploadError,
    check_take_content,
    image_is_whole,
    inside,
    make_thumbnail,
    move_to_trash,
    probe,
    sha256_of,
    thumbnail_path,
    write_claimed,
    write_into,
)

if TYPE_CHECKING:
    from ..model import Located, Project, Shot
    from .store import ProjectStore

__all__ = ["RENDERS_DIR", "TakeEntry", "TakeStore", "take_folder", "take_name"]

log = logging.getLogger(__name__)

RENDERS_DIR = "03_Renders"
_EXT = re.compile(r"[a-z0-9]{1,12}")
_RECORD_EXT = "json"
_PICTURE_KINDS = ("image", "video")
# Creates a new file, never opening one that exists: how a take claims its number.
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _new_flusher() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="auteur-take-flush")


# Flushes and hashes take contents while the caller checks them and writes their recipe files.
_flusher = _new_flusher()


def _reset_flusher() -> None:
    # A forked child has none of its parent's threads: it starts a pool of its own.
    global _flusher
    _flusher = _new_flusher()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_flusher)


@contextlib.contextmanager
def _flushing(fd: int, data: bytes | bytearray | memoryview | Path) -> Iterator[None]:
    """Write `data` into `fd` and flush it to disk while the body runs; close `fd` after.

    The flush waits on the disk, so the body's own file work costs almost nothing extra. The
    take is durable when this returns; on any error the file is closed all the same.
    """
    try:
        write_into(fd, data)
        flushed = _flusher.submit(os.fsync, fd)
        try:
            yield
        finally:
            flushed.result()  # the fd stays open until the flush is over, even on error
    finally:
        os.close(fd)


def take_folder(chapter: int, scene: int, shot: int) -> str:
    """The folder, relative to the project, of the takes of shot `chapter/scene/shot`."""
    return f"{RENDERS_DIR}/Chapter_{chapter:02d}/Scene_{scene:02d}/Shot_{shot:02d}"


def take_name(code: str, number: int, ext: str) -> str:
    """The file name of take `number` of the shot whose code is `code` (``S01_S02``)."""
    return f"{code}_take{number:02d}.{ext}"


@dataclass(frozen=True)
class TakeEntry:
    """One take as the takes gallery shows it."""

    take: Take
    path: Path
    thumbnail: Path | None
    active: bool

    @property
    def number(self) -> int:
        return self.take.number

    @property
    def rejected(self) -> bool:
        return self.take.rejected


class TakeStore:
    """The takes of one project: add, list, choose, reject and delete them.

    Reach it as ``store.takes``. It is safe to use from many threads, and many processes may
    add takes to the same project at once.
    """

    def __init__(self, store: ProjectStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self._pending: list[str] = []
        # Take folders known to lie inside the project, and whether each needs its own fsync.
        self._checked: dict[str, bool] = {}
        self._next: dict[tuple[str, str], int] = {}  # the next number worth trying, per shot

    # ------------------------------------------------------------ adding

    def add_take(
        self,
        shot: str,
        data: bytes | Path,
        recipe: Recipe,
        *,
        ext: str = "png",
        node_id: str | None = None,
        commit: bool | None = None,
    ) -> Take:
        """Store a new take of `shot` (an address such as ``1/2/3``, or a shot id).

        `data` is the rendered file's content or path, `ext` its extension. The take and its
        recipe are written beside each other, the take is registered in the shot (the first
        becomes the active take) and a `take_created` event is published.

        `commit`: None follows the ``auto_commit`` setting, committing takes in batches of
        ``take_commit_batch``; True commits now (with anything pending); False leaves the take
        pending for `commit_pending`.
        """
        ext = self._check_ext(ext)
        info = self._inspect(data, ext)
        project, found = self._resolve(shot)
        assert found.scene is not None and found.shot is not None
        folder_rel = take_folder(found.chapter.number, found.scene.number, found.shot.number)
        folder, flush_folder = self._folder(folder_rel)
        recipe = self._complete_recipe(recipe, project, found.shot)
        takes = found.shot.takes  # kept in number order; the claim skips any number in use
        start = takes[-1].number + 1 if takes else 1
        path, number, fd = self._claim(folder_rel, shot_code(found.scene, found.shot), ext, start)
        rel = f"{folder_rel}/{path.name}"
        try:
            # The image check, the digest and the recipe file are done while the take's
            # content is being flushed. The recipe file is a copy for people and re-runs;
            # the durable record is the registration in the scene file, so it is not
            # flushed on its own.
            digest = _flusher.submit(sha256_of, data)  # on another core: hashing frees the GIL
            with _flushing(fd, data):
                if info.kind == "image" and not image_is_whole(data):
                    raise UploadError(
                        f"take data is a damaged {info.format} image: it is cut "
                        "short or fails its checksums"
                    )
                take = Take(number=number, path=rel, recipe=recipe, sha256=digest.result())
                take.metadata = {**info.metadata(), "kind": info.kind, "size": info.size}
                record = to_json({"shotId": found.shot.id, **take.to_data()}, indent=2)
                record_fd = os.open(self._record_path(path), _CREATE, 0o644)
                write_claimed(record_fd, record + b"\n", durable=False)
            # The take's name is on disk before the take is registered.
            if flush_folder:
                fsync_dir(folder)
        except BaseException:
            path.unlink(missing_ok=True)
            self._record_path(path).unlink(missing_ok=True)
            raise
        self._register(found.shot.id, take, node_id)
        self._after_add(rel, commit)
        return take

    def _resolve(self, shot: str) -> tuple[Project, Located]:
        """Find the shot. An id is looked up in memory first (the take's name is claimed on
        disk, so a slightly old view is safe); an address is read from the latest state."""
        store = self._store
        if not str(shot).strip()[:1].isdigit():
            project = store.project
            with contextlib.suppress(AddressError):
                return project, locate(project, shot, "shot")
        store.refresh()
        return store.project, store.locate(shot, "shot")

    def _folder(self, folder_rel: str) -> tuple[Path, bool]:
        """The take folder (made if needed) and whether a new name in it needs a folder fsync."""
        folder = self._store.path / folder_rel
        flush = self._checked.get(folder_rel)
        if flush is None:  # resolving every part of the path costs time: once per folder
            folder.mkdir(parents=True, exist_ok=True)
            inside(self._store.path, folder)
            flush = self._checked[folder_rel] = not names_follow_file_fsync(folder)
        return folder, flush

    def _check_ext(self, ext: str) -> str:
        ext = str(ext).lower().lstrip(".")
        if not _EXT.fullmatch(ext) or ext == _RECORD_EXT:
            raise UploadError(
                f"take extension {ext!r} is not allowed: use 1-12 letters or digits, not json"
            )
        return ext

    def _inspect(self, data: bytes | Path, ext: str) -> Any:
        if isinstance(data, bytearray | memoryview):
            data = bytes(data)
        if not isinstance(data, bytes | Path):
            raise UploadError(f"take data must be bytes or a Path, not {type(data).__name__}")
        if isinstance(data, Path) and not data.is_file():
            raise UploadError(f"take file {data} does not exist")
        size = len(data) if isinstance(data, bytes) else data.stat().st_size
        limit = self._store.settings.max_upload_bytes
        if size == 0:
            raise UploadError("take data is empty")
        if size > limit:
            raise UploadError(f"take data is {size:,} bytes; the limit is {limit:,} bytes")
        # The header tells what it is; the whole image is checked, and hashed, while the
        # take is being flushed.
        info = probe(data, digest=False, verify=False)
        check_take_content(info, ext)
        return info

    def _claim(self, folder_rel: str, code: str, ext: str, start: int) -> tuple[Path, int, int]:
        """Create the take's file under the first free number from `start`; return it open."""
        root = self._store.path
        folder, trash = root / folder_rel, root / TRASH_DIR / folder_rel
        key = (folder_rel, code)
        with self._lock:
            number = max(start, self._next.get(key, 1))
        while True:
            name = take_name(code, number, ext)
            record = take_name(code, number, _RECORD_EXT)
            # A number whose take was deleted (in the trash) or whose recipe is on disk is used.
            if not (folder / record).exists() and not (trash / name).exists():
                try:
                    fd = os.open(folder / name, _CREATE, 0o644)
                except FileExistsError:
                    pass
                except FileNotFoundError:  # the folder went away since it was made
                    folder.mkdir(parents=True, exist_ok=True)
                    continue
                else:
                    with self._lock:
                        self._next[key] = max(self._next.get(key, 1), number + 1)
                    return folder / name, number, fd
            number += 1

    @staticmethod
    def _record_path(path: Path) -> Path:
        return path.with_suffix(f".{_RECORD_EXT}")

    def _complete_recipe(self, recipe: Recipe, project: Project, shot: Shot) -> Recipe:
        """Fill in what a re-run needs and the caller left out: time, quality, input hashes."""
        update: dict[str, Any] = {}
        if recipe.generated_at is None:
            update["generated_at"] = utcnow()
        if recipe.quality is None:
            update["quality"] = shot.quality or project.quality
        missing = [p for p, digest in recipe.source_assets.items() if not digest]
        if missing:
            assets = project.assets
            groups = (assets.characters, assets.locations, assets.styles, assets.music)
            known = {f.path: f.sha256 for group in groups for a in group for f in a.files}
            hashes = dict(recipe.source_assets)
            for rel in missing:
                hashes[rel] = known.get(rel) or self._hash_project_file(rel)
            update["source_assets"] = hashes
        return recipe.model_copy(update=update, deep=True)

    def _hash_project_file(self, rel: str) -> str:
        path = inside(self._store.path, self._store.path / rel)
        if not path.is_file():
            raise UploadError(f"source asset {rel!r} of the recipe is not in the project")
        return probe(path).sha256

    def _register(self, shot_id: str, take: Take, node_id: str | None) -> None:
        store = self._store
        try:
            store.register_take(shot_id, take, node_id)
        except BaseException:
            # The render is not lost: it waits in the trash, with its recipe.
            record = self._record_path(Path(take.path)).as_posix()
            try:
                kept = move_to_trash(store.path, take.path)
                if (store.path / record).exists():
                    move_to_trash(store.path, record)
            except OSError as exc:
                kept = f"{take.path} (not moved: {exc})"
            log.warning("take %s could not be registered; kept in %s", take.path, kept)
            raise

    def _after_add(self, rel: str, commit: bool | None) -> None:
        settings = self._store.settings
        if commit is None and not settings.auto_commit:
            return
        with self._lock:
            self._pending.append(rel)
            due = commit is True or (
                commit is None and len(self._pending) >= settings.take_commit_batch
            )
        if due:
            self.commit_pending()

    # ------------------------------------------------------------ committing

    @property
    def pending(self) -> int:
        """How many takes added here wait for a commit."""
        with self._lock:
            return len(self._pending)

    def commit_pending(self) -> str | None:
        """Commit the project with every pending take; return the commit's sha (None if none)."""
        with self._commit_lock:
            with self._lock:
                paths, self._pending = self._pending, []
            if not paths:
                return None
            names = [p.rsplit("/", 1)[-1] for p in paths]
            shown = names[0] if len(names) == 1 else f"{names[0]} … {names[-1]}"
            count = f"{len(paths)} take{'s' if len(paths) != 1 else ''}"
            try:
                return self._store.commit(f"Add {count}: {shown}")
            except BaseException:
                with self._lock:
                    self._pending[:0] = paths
                raise

    flush = commit_pending

    # ------------------------------------------------------------ reading

    def _shot(self, shot: str) -> tuple[Located, Shot]:
        found = self._store.locate(shot, "shot")
        assert found.shot is not None
        return found, found.shot

    def _find(self, shot: Shot, take: Take | str | int) -> Take:
        if isinstance(take, Take):
            take = take.id
        text = str(take).strip()
        number = int(text) if text.isdigit() else None
        for candidate in shot.takes:
            if candidate.id == text or candidate.number == number or candidate.path == text:
                return candidate
        raise LookupError(f"shot {shot.id} has no take {text!r} ({len(shot.takes)} takes)")

    def get(self, shot: str, take: Take | str | int) -> Take:
        """A take of `shot`, by id, number or path."""
        return self._find(self._shot(shot)[1], take)

    def active_take(self, shot: str) -> Take | None:
        """The active take of `shot`, or None when it has none."""
        _, found = self._shot(shot)
        return self._find(found, found.active_take) if found.active_take else None

    def list(self, shot: str, *, thumbnails: bool = True) -> list[TakeEntry]:
        """The takes gallery of `shot`: every take in number order, with its thumbnail."""
        _, found = self._shot(shot)
        root = self._store.path
        entries = []
        for take in sorted(found.takes, key=lambda t: t.number):
            thumb = self.thumbnail(take) if thumbnails else None
            entries.append(TakeEntry(take, root / take.path, thumb, take.id == found.active_take))
        return entries

    def thumbnail(self, take: Take, refresh: bool = False) -> Path | None:
        """The thumbnail of `take`, made from the take file when missing or out of date."""
        root = self._store.path
        source = root / take.path
        target = root / thumbnail_path(take.path)
        kind = take.metadata.get("kind", "image")
        if kind not in _PICTURE_KINDS or not source.is_file():
            return None
        stale = not target.is_file() or target.stat().st_mtime < source.stat().st_mtime
        if refresh or stale:
            try:
                make_thumbnail(root, take.path, kind, self._store.settings.thumbnail_size)
            except Exception as exc:  # a damaged take still shows in the gallery
                log.warning("no thumbnail for %s: %s", take.path, exc)
                return None
        return target

    # ------------------------------------------------------------ choosing

    def set_active(self, shot: str, take: Take | str | int) -> Take:
        """Make `take` the active take of `shot`."""
        store = self._store
        with store.transaction():
            _, found = self._shot(shot)
            chosen = self._find(found, take)
            if chosen.rejected:
                raise LookupError(f"take {chosen.number} is rejected; restore it first")
            store.update(found.id, active_take=chosen.id)
        return chosen

    def reject(self, shot: str, take: Take | str | int, rejected: bool = True) -> Take:
        """Mark `take` rejected (or restore it). A rejected active take gives way to another."""
        store = self._store
        with store.transaction():
            found, found_shot = self._shot(shot)
            assert found.scene is not None
            chosen = self._find(found_shot, take)
            chosen.rejected = rejected
            if rejected and found_shot.active_take == chosen.id:
                found_shot.active_take = self._fallback(found_shot)
            store.touch_scene(found.scene)
            action = "take_rejected" if rejected else "take_restored"
            self._changed(action, found, chosen)
        return chosen

    def delete(self, shot: str, take: Take | str | int) -> str:
        """Move `take` and its recipe into the project's trash; return where it went."""
        store = self._store
        with store.transaction():
            found, found_shot = self._shot(shot)
            assert found.scene is not None
            chosen = self._find(found_shot, take)
            record = self._record_path(store.path / chosen.path)
            if (store.path / chosen.path).exists():
                trashed = move_to_trash(store.path, chosen.path)
            else:
                log.warning("take file %s was already gone", chosen.path)
                trashed = ""
            if record.exists():
                move_to_trash(store.path, record.relative_to(store.path).as_posix())
            (store.path / thumbnail_path(chosen.path)).unlink(missing_ok=True)
            found_shot.takes = [t for t in found_shot.takes if t.id != chosen.id]
            if found_shot.active_take == chosen.id:
                found_shot.active_take = self._fallback(found_shot)
            store.touch_scene(found.scene)
            self._changed("take_deleted", found, chosen, trash=trashed)
        return trashed

    @staticmethod
    def _fallback(shot: Shot) -> str | None:
        kept = [t for t in shot.takes if not t.rejected]
        return max(kept, key=lambda t: t.number).id if kept else None

    def _changed(self, action: str, found: Located, take: Take, **extra: Any) -> None:
        assert found.shot is not None
        changes = {"action": action, "kind": "take", "id": take.id, "shot": found.shot.id}
        changes.update(number=take.number, path=take.path, address=found.address, **extra)
        changes["activeTake"] = found.shot.active_take
        self._store.emit(ProjectUpdateEvent(changes=changes))

    def __repr__(self) -> str:
        return f"<TakeStore of {self._store.path.name!r}, {self.pending} pending>"
