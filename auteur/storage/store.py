"""The project store: the only writer of a project's files.

It loads a project, applies commands to it under a lock shared between processes, writes the
files that changed atomically, and publishes a typed event for each change.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import json
import logging
import os
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..config import Settings, load_settings
from ..model import (
    AddressError,
    Chapter,
    CharacterUsageUpdatedEvent,
    Framing,
    Located,
    NarrativeStructure,
    NarrativeStructureChangedEvent,
    Project,
    ProjectUpdateEvent,
    Quality,
    Scene,
    Shot,
    Take,
    TakeCreatedEvent,
    describe_validation_error,
    locate,
)
from ..model.events import EventBus
from ..model.templates import NarrativeTemplate, builtin_template
from ._atomic import atomic_write, fsync_dir, is_temp_file
from ._lazy import LazyList
from ._lock import LockTimeout, ProjectLock
from .documents import Documents
from .git import GitService
from .manifest import (
    PROJECT_FILE,
    SCENES_DIR,
    apply_take_journal,
    drop_duplicate_shots,
    dump_manifest,
    dump_scene,
    journal_line,
    parse_manifest,
    read_scene_shots,
    read_scene_takes,
    read_take_journal,
    scene_file,
    take_journal,
)
from .names import check_name

if TYPE_CHECKING:
    from .assets import AssetLibrary
    from .canvas import CanvasStore
    from .takes import TakeStore

__all__ = [
    "UPDATABLE_FIELDS",
    "ProjectLockedError",
    "ProjectStore",
    "StaleWriteError",
    "StoreError",
]

log = logging.getLogger(__name__)

_Stat = tuple[int, int, int]


class StoreError(RuntimeError):
    """A command could not be applied; the message says why."""


class StaleWriteError(StoreError):
    """A change was based on a revision of the project that is no longer current."""


class ProjectLockedError(StoreError):
    """Another process held the project's lock for longer than the lock timeout."""


@dataclass
class _Change:
    """One transaction's files, before and after, for undo and redo (None: no file)."""

    label: str
    files: dict[str, tuple[bytes | None, bytes | None]]


def _scene_edits(raw: bytes) -> Any:
    """A scene file's content without its takes, which undo and redo leave alone."""
    data = json.loads(raw)
    for key in ("takes", "takeCounts", "journalRevision"):
        data.pop(key, None)
    for shot in data.get("shots", []):
        shot.pop("takes", None)
        shot.pop("activeTake", None)
    return data


def _same_edit(rel: str, current: bytes | None, expected: bytes | None) -> bool:
    """True when `current` still holds what undo or redo expects: takes aside, for scenes."""
    if current == expected:
        return True
    if current is None or expected is None or rel == PROJECT_FILE:
        return False
    try:
        return bool(_scene_edits(current) == _scene_edits(expected))
    except ValueError:
        return False


#: Scene files' keys in the table of file stats.
_SCENES_KEY = SCENES_DIR.as_posix()


def _stat(path: Path) -> _Stat | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a project's models are built.

    Loading a large project allocates hundreds of thousands of objects, which makes Python's
    collector rescan them again and again: that took most of the time of opening.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _SceneTakes:
    """The takes of one scene file, read once, when the first of its shots needs them."""

    def __init__(self, path: Path, scene_id: str, source: str) -> None:
        self._where = (path, scene_id, source)
        self._takes: dict[str, list[Take]] | None = None
        self._lock = threading.Lock()

    def of(self, shot_id: str) -> list[Take]:
        with self._lock:
            if self._takes is None:
                try:
                    with _gc_paused():
                        self._takes = read_scene_takes(*self._where)
                except FileNotFoundError:
                    self._takes = {}  # removed by another process; its next command catches up
            return self._takes.pop(shot_id, [])


def _renumber(items: list[Any]) -> None:
    for number, item in enumerate(items, start=1):
        if item.number != number:
            item.number = number


def _insert(items: list[Any], item: Any, position: int | None) -> None:
    if position is None:
        items.append(item)
    else:
        if position < 1:
            raise StoreError(f"position {position} is invalid; positions start at 1")
        items.insert(min(position, len(items) + 1) - 1, item)
    _renumber(items)


#: The children of each kind of item, left out when its own fields are checked.
_CHILDREN = {"scenes", "shots", "takes"}

#: The fields `ProjectStore.update` changes, by kind of item, in the order forms show them.
UPDATABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "chapter": ("title", "description"),
    "scene": ("title", "description", "emotional_beat"),
    "shot": (
        "title",
        "description",
        "framing",
        "duration",
        "characters",
        "location",
        "style",
        "quality",
        "active_take",
    ),
}


class ProjectStore:
    """One open project. Commands change it; reads see the last loaded state.

    Every command runs in a transaction: it takes the project's lock (shared with other
    processes), first catches up with changes other processes made, then applies the change and
    writes only the files it touched. A command given ``expected_revision`` is refused with
    `StaleWriteError` when the project moved on since that revision; without it, the command is
    applied on top of the latest state, so concurrent edits merge instead of overwriting.
    """

    def __init__(self, path: Path, settings: Settings, bus: EventBus | None = None) -> None:
        self.path = Path(path).resolve()
        self.settings = settings
        self.bus = bus or EventBus()
        self.git = GitService(self.path, settings)
        state_dir = self.path / ".git"
        if not state_dir.is_dir():
            state_dir = self.path / ".auteur"
            state_dir.mkdir(exist_ok=True)
        self._file_lock = ProjectLock(state_dir / "auteur.lock", timeout=settings.lock_timeout)
        self._revision_file = state_dir / "auteur.revision"
        self._mutex = threading.RLock()
        self._project: Project | None = None
        self._revision = 0
        self._stats: dict[str, _Stat | None] = {}
        self._depth = 0
        self._dirty_manifest = False
        self._dirty_scenes: dict[str, None] = {}  # ordered: scene files are written in order
        self._removed_scenes: set[str] = set()
        self._events: list[Any] = []
        self._swept = False
        self._undo: deque[_Change] = deque(maxlen=settings.undo_limit)
        self._redo: list[_Change] = []
        self._recording = True
        self._journal_lines: dict[str, int] = {}

    # ----------------------------------------------------------------- opening

    @classmethod
    def open(
        cls, path: str | Path, settings: Settings | None = None, bus: EventBus | None = None
    ) -> ProjectStore:
        """Open the project in folder `path` (or the folder of a `project.json`)."""
        path = Path(path)
        if path.name == PROJECT_FILE:
            path = path.parent
        if not (path / PROJECT_FILE).is_file():
            raise FileNotFoundError(f"{path} is not an Auteur project: it has no {PROJECT_FILE}")
        store = cls(path, settings or load_settings(), bus)
        with store._mutex:
            store._revision = store._read_revision()
            store._load_everything()
        return store

    @property
    def project(self) -> Project:
        """The project as last loaded. Treat it as read-only; change it through commands.

        Each shot's takes are read from its scene file the first time they are used.
        """
        assert self._project is not None
        return self._project

    @property
    def documents(self) -> Documents:
        """The project's creative documents."""
        return Documents(self)

    @property
    def canvas(self) -> CanvasStore:
        """The production canvas: a node graph per scene."""
        from .canvas import CanvasStore  # it builds on this module

        return CanvasStore(self)

    @property
    def assets(self) -> AssetLibrary:
        """The project's asset library: characters, locations, styles and music."""
        from .assets import AssetLibrary  # it builds on this module

        return AssetLibrary(self)

    @property
    def takes(self) -> TakeStore:
        """The project's takes. One per store, so that commit batches span calls."""
        takes = self.__dict__.get("_takes")
        if takes is None:
            from .takes import TakeStore  # it builds on this module

            with self._mutex:
                takes = self.__dict__.setdefault("_takes", TakeStore(self))
        return takes

    @property
    def revision(self) -> int:
        """The revision of the project this store last saw."""
        return self._revision

    def refresh(self) -> bool:
        """Catch up with changes made by other processes; return True if there were any.

        It also looks at every scene file, so that a hand edit of one (which leaves the
        revision alone) is seen too.
        """
        with self._mutex, self._locked():
            before = self._revision, dict(self._stats)
            self._catch_up(every_file=True)
            return before != (self._revision, self._stats)

    # ------------------------------------------------------------ loading

    def _read_revision(self) -> int:
        # Read on every write to see other processes' changes: plain calls, no text layer.
        try:
            fd = os.open(self._revision_file, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            return 0
        try:
            return int(os.read(fd, 64) or 0)
        except ValueError:
            return 0
        finally:
            os.close(fd)

    @staticmethod
    def _scene_stat_key(scene_id: str) -> str:
        return f"{_SCENES_KEY}/{scene_id}.json"

    @staticmethod
    def _journal_stat_key(scene_id: str) -> str:
        return f"{_SCENES_KEY}/{scene_id}.takes.jsonl"

    def _scene_unchanged(self, scene_id: str) -> bool:
        key, jkey = self._scene_stat_key(scene_id), self._journal_stat_key(scene_id)
        if key not in self._stats:
            return False
        if _stat(scene_file(self.path, scene_id)) != self._stats.get(key):
            return False
        return _stat(take_journal(self.path, scene_id)) == self._stats.get(jkey)

    def _load_manifest(self) -> Project:
        path = self.path / PROJECT_FILE
        stat = _stat(path)
        project = parse_manifest(path.read_bytes(), str(path))
        self._stats[PROJECT_FILE] = stat
        return project

    def _load_scene(self, scene: Scene) -> None:
        path = scene_file(self.path, scene.id)
        journal = take_journal(self.path, scene.id)
        stat = _stat(path)
        self._stats[self._scene_stat_key(scene.id)] = stat
        self._stats[self._journal_stat_key(scene.id)] = _stat(journal)
        self._journal_lines[scene.id] = 0
        if stat is None:
            return  # no file yet: the shots (if any) were written inline in project.json
        rel = path.relative_to(self.path).as_posix()
        shots, counts, absorbed = read_scene_shots(path, scene.id, rel)
        if counts is not None:
            # Most of a large project's bytes are its takes: each shot reads them on first use.
            takes = _SceneTakes(path, scene.id, rel)
            for shot in shots:
                length = counts.get(shot.id, 0) if counts else None
                shot.__dict__["takes"] = LazyList(partial(takes.of, shot.id), length)
        if self._stats[self._journal_stat_key(scene.id)] is not None:
            entries = read_take_journal(journal, absorbed)
            apply_take_journal(shots, entries)
            self._journal_lines[scene.id] = len(entries)
        scene.shots = shots

    def _load_everything(self) -> None:
        self._stats.clear()
        with _gc_paused():
            project = self._load_manifest()
            for chapter in project.narrative.chapters:
                for scene in chapter.scenes:
                    self._load_scene(scene)
        drop_duplicate_shots(project)
        self._project = project

    def _catch_up(self, every_file: bool = False) -> None:
        revision = self._read_revision()
        manifest_stat = _stat(self.path / PROJECT_FILE)
        unmoved = revision == self._revision and manifest_stat == self._stats.get(PROJECT_FILE)
        if unmoved and not every_file:
            return
        old = {s.id: s for c in self.project.narrative.chapters for s in c.scenes}
        project = self.project
        with _gc_paused():
            if manifest_stat != self._stats.get(PROJECT_FILE):
                project = self._load_manifest()
            for chapter in project.narrative.chapters:
                for scene in chapter.scenes:
                    previous = old.get(scene.id)
                    if previous is not None and self._scene_unchanged(scene.id):
                        if scene is not previous:
                            scene.shots = previous.shots
                    else:
                        self._load_scene(scene)
        drop_duplicate_shots(project)
        self._project = project
        self._revision = revision

    # ------------------------------------------------------------ transactions

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            with self._file_lock:
                yield
        except LockTimeout:
            raise ProjectLockedError(
                f"{self.path.name} is locked by another process (waited "
                f"{self.settings.lock_timeout:g} s for {self._file_lock.path})"
            ) from None

    @contextlib.contextmanager
    def transaction(self, expected_revision: int | None = None) -> Iterator[Project]:
        """Apply changes to the project atomically; yields the project to change.

        Code inside marks what it changed with `touch_manifest` / `touch_scene` and queues
        events with `emit`; they are published once the files are on disk.
        """
        with self._mutex:
            if self._depth:
                self._depth += 1
                try:
                    yield self.project
                finally:
                    self._depth -= 1
                return
            with self._locked():
                self._catch_up()
                if expected_revision is not None and expected_revision != self._revision:
                    raise StaleWriteError(
                        f"{self.project.name} changed since revision {expected_revision} "
                        f"(now {self._revision}); reload it and apply the change again"
                    )
                self._depth = 1
                try:
                    yield self.project
                    self._write_changes()
                except BaseException:
                    # Memory may hold half a change: go back to what is on disk.
                    self._reset_pending()
                    self._load_everything()
                    raise
                finally:
                    self._depth = 0
                events, self._events = self._events, []
                self._reset_pending()
        for event in events:
            self.bus.publish(event)

    def touch_manifest(self) -> None:
        """Mark `project.json` as changed in the current transaction."""
        self._dirty_manifest = True

    def touch_scene(self, scene: Scene) -> None:
        """Mark the shots of `scene` as changed in the current transaction."""
        self._dirty_scenes[scene.id] = None

    def emit(self, event: Any) -> None:
        """Queue `event` for publishing when the current transaction is on disk."""
        if getattr(event, "project_id", "") is None:
            event.project_id = self.project.id
        self._events.append(event)

    def _reset_pending(self) -> None:
        self._dirty_manifest = False
        self._dirty_scenes.clear()
        self._removed_scenes.clear()
        self._events.clear()  # a failed transaction's events must not go out with the next

    def _sweep_temp_files(self) -> None:
        # Leftovers of writes interrupted by a crash. Safe: we hold the project lock.
        for folder in (self.path, self.path / SCENES_DIR, self._revision_file.parent):
            if folder.is_dir():
                for entry in folder.iterdir():
                    if is_temp_file(entry):
                        entry.unlink(missing_ok=True)
        self._swept = True

    def _write_changes(self) -> None:
        if not (self._dirty_manifest or self._dirty_scenes or self._removed_scenes):
            return
        if not self._swept:
            self._sweep_temp_files()
        # Bump the revision first: if we crash below, other processes still reload.
        self._bump_revision()
        scenes = {s.id: s for c in self.project.narrative.chapters for s in c.scenes}
        if self._dirty_manifest or self._removed_scenes:
            # Shots written inline in a hand-made project.json have no scene file yet, and the
            # manifest is written without shots: give them their scene file first.
            for scene_id, scene in scenes.items():
                if scene.shots and self._stats.get(self._scene_stat_key(scene_id)) is None:
                    self._dirty_scenes.setdefault(scene_id, None)
        writes: dict[str, bytes | None] = {}
        # Scene files before the manifest: the manifest never names a scene not yet on disk.
        # They go in the order touched: a shot moving between scenes reaches its new scene before
        # it leaves the old one, so a crash can leave it twice (repaired on load), never lose it.
        for scene_id in self._dirty_scenes:
            if scene_id in scenes:
                # The file takes in the scene's take journal up to this revision.
                scene_bytes = dump_scene(scenes[scene_id], self._revision)
                writes[self._scene_stat_key(scene_id)] = scene_bytes
        if self._dirty_manifest or self._removed_scenes:
            writes[PROJECT_FILE] = dump_manifest(self.project)
        for scene_id in self._removed_scenes - scenes.keys():
            writes[self._scene_stat_key(scene_id)] = None
        change = _Change(self._describe_events(), {})
        for rel, data in writes.items():
            path = self.path / rel
            if self._recording:
                change.files[rel] = (path.read_bytes() if path.is_file() else None, data)
            self._put(rel, data)
        for scene_id in self._dirty_scenes:
            if scene_id in scenes:
                self._drop_journal(scene_id)
        if self._recording:
            self._undo.append(change)
            self._redo.clear()

    def _drop_journal(self, scene_id: str) -> None:
        # The scene file now holds every journalled take (and says up to which revision), so
        # the journal can go; if a crash keeps it, its lines are older than the file and skipped.
        take_journal(self.path, scene_id).unlink(missing_ok=True)
        self._stats[self._journal_stat_key(scene_id)] = None
        self._journal_lines[scene_id] = 0

    # ------------------------------------------------------------ takes

    def register_take(self, shot_id: str, take: Take, node_id: str | None = None) -> None:
        """Add `take` to a shot durably and publish `take_created`.

        The take is appended to its scene's take journal and fsynced, which costs far less
        than rewriting the scene file; every so often the journal is folded into the file.
        The first take of a shot becomes its active take. Takes are never part of undo.
        """
        with self._mutex:
            if self._depth:  # inside a transaction, which writes the scene file itself
                found = self.locate(shot_id, "shot")
                assert found.scene is not None and found.shot is not None
                self._insert_take(found.shot, take)
                self.touch_scene(found.scene)
                self.emit(self._take_event(found.shot, take, node_id))
                return
            with self._locked():
                self._catch_up()
                found = self.locate(shot_id, "shot")
                assert found.scene is not None and found.shot is not None
                activate = self._insert_take(found.shot, take)
                event = self._take_event(found.shot, take, node_id)
                event.project_id = self.project.id
                try:
                    self._journal_take(found.scene, found.shot, take, activate)
                except BaseException:
                    self._reset_pending()
                    self._load_everything()
                    raise
        self.bus.publish(event)

    @staticmethod
    def _insert_take(shot: Shot, take: Take) -> bool:
        bisect.insort(shot.takes, take, key=lambda t: t.number)
        if shot.active_take is None:
            shot.active_take = take.id
            return True
        return False

    @staticmethod
    def _take_event(shot: Shot, take: Take, node_id: str | None) -> TakeCreatedEvent:
        return TakeCreatedEvent(
            shot_id=shot.id, take_path=take.path, take_number=take.number, node_id=node_id
        )

    def _journal_take(self, scene: Scene, shot: Shot, take: Take, activate: bool) -> None:
        limit = self.settings.take_journal_limit
        if (
            _stat(scene_file(self.path, scene.id)) is None
            or self._journal_lines.get(scene.id, 0) >= limit
        ):
            recording, self._recording = self._recording, False
            try:
                self._dirty_scenes[scene.id] = None
                self._write_changes()
            finally:
                self._recording = recording
                self._reset_pending()
            return
        self._bump_revision()
        path = take_journal(self.path, scene.id)
        created = not path.exists()
        line = journal_line(self._revision, shot.id, take, activate)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0))
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(path.parent)
        self._stats[self._journal_stat_key(scene.id)] = _stat(path)
        self._journal_lines[scene.id] = self._journal_lines.get(scene.id, 0) + 1

    def _bump_revision(self) -> None:
        self._revision += 1
        data = f"{self._revision:020d}".encode()
        try:
            fd = os.open(self._revision_file, os.O_WRONLY | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            # Atomic: a crash must not leave an empty file, which would read as revision 0.
            atomic_write(self._revision_file, data, durable=False)
            return
        try:
            # Always the same width, written in place: no truncation, so never an empty file,
            # and no new file or rename on every edit.
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, data)
        finally:
            os.close(fd)

    def _put(self, rel: str, data: bytes | None) -> None:
        path = self.path / rel
        if data is None:
            path.unlink(missing_ok=True)
            self._stats.pop(rel, None)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)
        self._stats[rel] = _stat(path)

    def _describe_events(self) -> str:
        for event in self._events:
            changes = getattr(event, "changes", None)
            if changes and "action" in changes:
                return f"{changes['action']} {changes.get('kind', '')} {changes.get('address', '')}"
            if changes:
                return "change " + ", ".join(sorted(changes))
        return self._events[0].type if self._events else "change"

    # ------------------------------------------------------------ undo and redo

    @contextlib.contextmanager
    def unrecorded(self) -> Iterator[None]:
        """Keep the changes made inside out of the undo history (e.g. new takes: their files
        stay on disk, and holding every scene file twice per take would use memory fast)."""
        with self._mutex:
            recording, self._recording = self._recording, False
            try:
                yield
            finally:
                self._recording = recording

    @property
    def can_undo(self) -> bool:
        """True when this session has an edit to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """True when an undone edit can be redone."""
        return bool(self._redo)

    def undo(self) -> str | None:
        """Undo this session's last edit; return its label, or None when there is none.

        Refused with `StaleWriteError` when another process changed the same files since.
        """
        return self._travel(self._undo, self._redo, "undo")

    def redo(self) -> str | None:
        """Redo the last undone edit; return its label, or None when there is none."""
        return self._travel(self._redo, self._undo, "redo")

    def _travel(self, source: Any, target: Any, action: str) -> str | None:
        with self._mutex:
            with self._locked():
                self._catch_up()
                if not source:
                    return None
                change = source[-1]
                forward = action == "redo"
                for rel, (before, after) in change.files.items():
                    expected = before if forward else after
                    path = self.path / rel
                    current = path.read_bytes() if path.is_file() else None
                    if not _same_edit(rel, current, expected):
                        raise StaleWriteError(
                            f"cannot {action} {change.label!r}: {rel} was changed since"
                        )
                source.pop()
                kept_takes = self._takes_of(change)
                self._bump_revision()
                # Scene files first, the manifest next, deletions last, as in every write. Undo
                # runs a move backwards, so its scene files go in the reverse order.
                scenes = [r for r in change.files if r != PROJECT_FILE]
                order = (scenes if forward else scenes[::-1]) + [
                    r for r in change.files if r == PROJECT_FILE
                ]
                wanted = {r: change.files[r][1 if forward else 0] for r in order}
                for rel in [r for r in order if wanted[r] is not None]:
                    self._put(rel, wanted[rel])
                for rel in [r for r in order if wanted[r] is None]:
                    self._put(rel, None)
                target.append(change)
                self._revision -= 1  # makes _catch_up reload what was just written
                for rel in change.files:
                    self._stats[rel] = None
                self._catch_up()
                self._restore_takes(kept_takes)
            event = ProjectUpdateEvent(
                project_id=self.project.id, changes={"action": action, "label": change.label}
            )
        self.bus.publish(event)
        return change.label

    def _takes_of(self, change: _Change) -> dict[str, tuple[list[Take], str | None]]:
        """The takes, by shot, of the scenes a change touches."""
        touched = {
            Path(rel).name.removesuffix(".json")
            for rel in change.files
            if rel.startswith(SCENES_DIR.as_posix())
        }
        return {
            shot.id: (list(shot.takes), shot.active_take)
            for chapter in self.project.narrative.chapters
            for scene in chapter.scenes
            if scene.id in touched
            for shot in scene.shots
        }

    def _restore_takes(self, kept: dict[str, tuple[list[Take], str | None]]) -> None:
        """Give shots back the takes they had: undo and redo never add or remove takes."""
        recording, self._recording = self._recording, False
        try:
            for chapter in self.project.narrative.chapters:
                for scene in chapter.scenes:
                    for shot in scene.shots:
                        if shot.id not in kept:
                            continue
                        takes, active = kept[shot.id]
                        ids = [t.id for t in takes]
                        valid = shot.active_take in ids
                        if [t.id for t in shot.takes] == ids and (valid or not ids):
                            continue
                        shot.takes = takes
                        if not valid:
                            shot.active_take = active if active in ids else (ids or [None])[0]
                        self._dirty_scenes[scene.id] = None
            self._write_changes()
        finally:
            self._recording = recording
            self._reset_pending()

    # ------------------------------------------------------------ reading helpers

    def locate(self, address: str, kind: str | None = None) -> Located:
        """Find a chapter, scene or shot by `CH/SC/SH` numbers or by id."""
        try:
            return locate(self.project, address, kind)
        except AddressError as exc:
            raise StoreError(str(exc)) from None

    def iter_shots(self) -> Iterator[tuple[Chapter, Scene, Shot]]:
        """Every shot of the project in story order, with its chapter and scene."""
        for chapter in self.project.narrative.chapters:
            for scene in chapter.scenes:
                for shot in scene.shots:
                    yield chapter, scene, shot

    def _changed(self, action: str, located: Located, **extra: Any) -> None:
        item = located.item
        changes = {"action": action, "kind": located.kind, "id": item.id}
        changes["address"] = located.address
        changes.update(extra)
        self.emit(ProjectUpdateEvent(changes=changes))

    def _name(self, title: str, what: str) -> str:
        return check_name(title, what, self.settings.max_name_length)

    # ------------------------------------------------------------ hierarchy commands

    def add_chapter(
        self,
        title: str,
        description: str = "",
        position: int | None = None,
        expected_revision: int | None = None,
    ) -> Chapter:
        """Add a chapter (at `position`, 1-based, or last) and return it."""
        title = self._name(title, "chapter title")
        with self.transaction(expected_revision) as project:
            chapter = Chapter(title=title, description=description)
            _insert(project.narrative.chapters, chapter, position)
            self.touch_manifest()
            self._changed("added", Located(chapter))
        return chapter

    def add_scene(
        self,
        chapter: str,
        title: str,
        description: str = "",
        position: int | None = None,
        emotional_beat: str | None = None,
        expected_revision: int | None = None,
    ) -> Scene:
        """Add a scene to `chapter` (an address or id) and return it."""
        title = self._name(title, "scene title")
        with self.transaction(expected_revision) as project:
            parent = self.locate(chapter, "chapter").chapter
            if emotional_beat is not None:
                self._check_beat(project, emotional_beat)
            scene = Scene(title=title, description=description, emotional_beat=emotional_beat)
            _insert(parent.scenes, scene, position)
            self.touch_manifest()
            self.touch_scene(scene)
            self._changed("added", Located(parent, scene))
        return scene

    def add_shot(
        self,
        scene: str,
        description: str,
        *,
        title: str = "",
        framing: Framing | str | None = None,
        duration: int | None = None,
        characters: list[str] | tuple[str, ...] = (),
        location: str | None = None,
        style: str | None = None,
        quality: Quality | str | None = None,
        position: int | None = None,
        expected_revision: int | None = None,
    ) -> Shot:
        """Add a shot to `scene` (an address or id) and return it."""
        fields = {
            "title": title,
            "description": description,
            "framing": framing,
            "duration": duration or self.settings.default_shot_frames,
            "characters": list(characters),
            "location": location,
            "style": style,
            "quality": quality,
        }
        shot = self._validated(Shot, fields, "shot")
        with self.transaction(expected_revision) as project:
            found = self.locate(scene, "scene")
            assert found.scene is not None
            self._check_assets(project, shot)
            _insert(found.scene.shots, shot, position)
            self.touch_scene(found.scene)
            self._cast(shot)
            self._changed("added", Located(found.chapter, found.scene, shot))
        return shot

    def rename(self, address: str, title: str, expected_revision: int | None = None) -> Located:
        """Give a chapter, scene or shot a new title."""
        return self.update(address, expected_revision=expected_revision, title=title)

    def update(self, address: str, expected_revision: int | None = None, **fields: Any) -> Located:
        """Change fields of a chapter, scene or shot (title, description, framing, ...)."""
        with self.transaction(expected_revision) as project:
            found = self.locate(address)
            item = found.item
            allowed = set(UPDATABLE_FIELDS[found.kind])
            unknown = set(fields) - allowed
            if unknown:
                raise StoreError(
                    f"cannot update {', '.join(sorted(unknown))} of a {found.kind}; "
                    f"updatable: {', '.join(sorted(allowed))}"
                )
            if "title" in fields:
                fields["title"] = self._name(fields["title"], f"{found.kind} title")
            # Python names (the fields given are snake_case), and no children: only fields change.
            merged = {**item.model_dump(by_alias=False, exclude=_CHILDREN), **fields}
            checked = self._validated(type(item), merged, found.kind)
            if isinstance(item, Shot):
                self._check_assets(project, checked)
                if checked.active_take is not None and checked.active_take not in {
                    t.id for t in item.takes
                }:
                    raise StoreError(f"{checked.active_take!r} is not a take of this shot")
            if isinstance(item, Scene) and fields.get("emotional_beat") is not None:
                self._check_beat(project, fields["emotional_beat"])
            for name in fields:
                setattr(item, name, getattr(checked, name))
            if isinstance(item, Shot):
                assert found.scene is not None
                self.touch_scene(found.scene)
                self._cast(item)
            else:
                self.touch_manifest()
            self._changed("updated", found, fields=sorted(fields))
        return found

    def move(
        self,
        address: str,
        position: int,
        parent: str | None = None,
        expected_revision: int | None = None,
    ) -> Located:
        """Move an item to `position` (1-based) in its parent, or in another `parent`."""
        with self.transaction(expected_revision) as project:
            found = self.locate(address)
            if found.kind == "chapter":
                if parent is not None:
                    raise StoreError("chapters have no parent to move into")
                siblings = project.narrative.chapters
                siblings.remove(found.chapter)
                _insert(siblings, found.chapter, position)
                self.touch_manifest()
                result = Located(found.chapter)
            elif found.kind == "scene":
                assert found.scene is not None
                target = self.locate(parent, "chapter").chapter if parent else found.chapter
                found.chapter.scenes.remove(found.scene)
                _renumber(found.chapter.scenes)
                _insert(target.scenes, found.scene, position)
                self.touch_manifest()
                result = Located(target, found.scene)
            else:
                assert found.scene is not None and found.shot is not None
                target = self.locate(parent, "scene") if parent else found
                assert target.scene is not None
                found.scene.shots.remove(found.shot)
                _renumber(found.scene.shots)
                _insert(target.scene.shots, found.shot, position)
                self.touch_scene(target.scene)
                self.touch_scene(found.scene)
                result = Located(target.chapter, target.scene, found.shot)
            self._changed("moved", result)
        return result

    def remove(
        self, address: str, force: bool = False, expected_revision: int | None = None
    ) -> Located:
        """Remove a chapter, scene or shot. Items holding content need ``force=True``.

        Take files stay on disk and in git history; only the project's references go.
        """
        with self.transaction(expected_revision) as project:
            found = self.locate(address)
            shots: list[Shot]
            if found.kind == "chapter":
                shots = [sh for sc in found.chapter.scenes for sh in sc.shots]
                if found.chapter.scenes and not force:
                    raise StoreError(
                        f"chapter {found.address} holds {len(found.chapter.scenes)} scene(s) and "
                        f"{len(shots)} shot(s); remove them first or force it"
                    )
                project.narrative.chapters.remove(found.chapter)
                _renumber(project.narrative.chapters)
                self._removed_scenes.update(s.id for s in found.chapter.scenes)
                self.touch_manifest()
            elif found.kind == "scene":
                assert found.scene is not None
                shots = list(found.scene.shots)
                if shots and not force:
                    raise StoreError(
                        f"scene {found.address} holds {len(shots)} shot(s); "
                        "remove them first or force it"
                    )
                found.chapter.scenes.remove(found.scene)
                _renumber(found.chapter.scenes)
                self._removed_scenes.add(found.scene.id)
                self.touch_manifest()
            else:
                assert found.scene is not None and found.shot is not None
                shots = [found.shot]
                if found.shot.takes and not force:
                    raise StoreError(
                        f"shot {found.address} has {len(found.shot.takes)} take(s); force it to "
                        "remove the shot (the take files are kept)"
                    )
                found.scene.shots.remove(found.shot)
                _renumber(found.scene.shots)
                self.touch_scene(found.scene)
            self._uncast({shot.id for shot in shots})
            self._changed("removed", found)
        return found

    # ------------------------------------------------------------ usage (casting)

    def _asset_groups(self, project: Project) -> list[list[Any]]:
        a = project.assets
        return [a.characters, a.locations, a.styles, a.music]

    def _check_assets(self, project: Project, shot: Shot) -> None:
        a = project.assets
        checks = [("character", ref, a.characters) for ref in shot.characters]
        checks += [("location", shot.location, a.locations), ("style", shot.style, a.styles)]
        for kind, ref, group in checks:
            if ref is not None and ref not in {x.asset_id for x in group}:
                raise StoreError(f"no {kind} with the id {ref!r} in the asset library")

    def _cast(self, shot: Shot) -> None:
        """Bring every asset's usage list in step with what `shot` now uses."""
        used = {*shot.characters, shot.location, shot.style}
        for group in self._asset_groups(self.project):
            for asset in group:
                present = shot.id in asset.usage
                if (asset.asset_id in used) != present:
                    asset.usage = (
                        [*asset.usage, shot.id]
                        if not present
                        else [u for u in asset.usage if u != shot.id]
                    )
                    self._usage_changed(asset)

    def _uncast(self, shot_ids: set[str]) -> None:
        for group in self._asset_groups(self.project):
            for asset in group:
                if shot_ids.intersection(asset.usage):
                    asset.usage = [u for u in asset.usage if u not in shot_ids]
                    self._usage_changed(asset)

    def _usage_changed(self, asset: Any) -> None:
        self.touch_manifest()
        if asset.asset_type == "Character":
            self.emit(CharacterUsageUpdatedEvent(asset_id=asset.asset_id, usage=list(asset.usage)))

    # ------------------------------------------------------------ project-level commands

    def update_project(
        self,
        *,
        quality: Quality | str | None = None,
        fps: int | None = None,
        resolution: tuple[int, int] | None = None,
        aspect_ratio: str | None = None,
        expected_revision: int | None = None,
    ) -> Project:
        """Change the project's quality tier and output settings."""
        with self.transaction(expected_revision) as project:
            changes: dict[str, Any] = {}
            if quality is not None:
                project.quality = Quality(quality)
                changes["quality"] = project.quality.value
            settings = {"fps": fps, "resolution": resolution, "aspect_ratio": aspect_ratio}
            settings = {k: v for k, v in settings.items() if v is not None}
            if settings:
                merged = {**project.settings.model_dump(by_alias=False), **settings}
                project.settings = self._validated(type(project.settings), merged, "settings")
                changes["settings"] = project.settings.to_data()
            if changes:
                self.touch_manifest()
                self.emit(ProjectUpdateEvent(changes=changes))
        return self.project

    def set_name(self, name: str) -> None:
        """Set the project's display name (the workspace renames the folder)."""
        name = self._name(name, "project name")
        with self.transaction() as project:
            project.name = name
            self.touch_manifest()
            self.emit(ProjectUpdateEvent(changes={"name": name}))

    def set_structure(
        self, structure: NarrativeStructure | str, template: NarrativeTemplate
    ) -> Project:
        """Switch the narrative structure without deleting anything the user made.

        Chapters holding scenes, or whose title or description was edited, are kept. Untouched
        chapters of the old template are replaced by the new template's chapters. Emotional
        beats from the old template are replaced, unless a scene is linked to them; beats the
        user added are kept.
        """
        structure = NarrativeStructure(structure)
        if template.structure != structure:
            raise StoreError(f"template is for {template.structure}, not {structure}")
        with self.transaction() as project:
            old = builtin_template(project.narrative.structure)
            kept = [c for c in project.narrative.chapters if self._holds_content(c, old)]
            fresh = template.make_chapters()
            kept_titles = {c.title for c in kept}
            chapters = kept + [c for c in fresh if c.title not in kept_titles]
            _renumber(chapters)
            project.narrative.chapters = chapters
            # Beats the user added, and template beats a scene is linked to, are kept.
            linked = {s.emotional_beat for c in project.narrative.chapters for s in c.scenes}
            beats = [
                b
                for b in project.narrative.emotional_beats
                if b.template_stage is None or b.id in linked
            ]
            project.narrative.emotional_beats = template.make_beats() + beats
            project.narrative.structure = structure
            self.touch_manifest()
            self.emit(NarrativeStructureChangedEvent(structure=structure))
        return self.project

    @staticmethod
    def _holds_content(chapter: Chapter, template: NarrativeTemplate) -> bool:
        if chapter.scenes or chapter.template_stage is None:
            return True
        original = template.chapter_for_stage(chapter.template_stage)
        return (
            original is None
            or original.title != chapter.title
            or original.description != chapter.description
        )

    @staticmethod
    def _check_beat(project: Project, beat_id: str) -> None:
        if beat_id not in {b.id for b in project.narrative.emotional_beats}:
            raise StoreError(f"no emotional beat with the id {beat_id!r}")

    @staticmethod
    def _validated(model: type, data: dict[str, Any], what: str) -> Any:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(describe_validation_error(exc))
            raise StoreError(f"invalid {what}: {problems}") from None

    # ------------------------------------------------------------ git

    def commit(self, message: str) -> str | None:
        """Commit everything in the project; return the new commit's sha (None if clean)."""
        with self._mutex, self._locked():
            return self.git.commit(message)

    def autocommit(self, message: str) -> str | None:
        """Commit when the workspace settings ask for it."""
        return self.commit(message) if self.settings.auto_commit else None

    def __repr__(self) -> str:
        name = self._project.name if self._project else "?"
        return f"<ProjectStore {name!r} at {os.fspath(self.path)!r} r{self._revision}>"
