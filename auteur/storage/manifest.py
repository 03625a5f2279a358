"""Reading and writing the files that hold a project: `project.json` and one file per scene."""

from __future__ import annotations

import bisect
import gc
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_core import to_json

from ..model import (
    Chapter,
    ManifestError,
    Project,
    Scene,
    SchemaVersionError,
    Shot,
    Take,
    describe_validation_error,
    migrate_manifest,
)
from ..model._base import CamelModel

__all__ = [
    "LAYOUT_FOLDERS",
    "PROJECT_FILE",
    "SCENES_DIR",
    "JournalEntry",
    "SceneFile",
    "apply_take_journal",
    "drop_duplicate_shots",
    "dump_manifest",
    "dump_scene",
    "journal_line",
    "parse_manifest",
    "parse_scene",
    "read_scene_shots",
    "read_scene_takes",
    "read_take_journal",
    "scene_file",
    "take_journal",
    "validate_project",
]

log = logging.getLogger(__name__)

PROJECT_FILE = "project.json"
#: Each scene's shots and takes live in a file of their own, so that a project of thousands of
#: shots opens quickly and one edit rewrites only one small file.
SCENES_DIR = Path(".auteur") / "scenes"

LAYOUT_FOLDERS = (
    "01_Assets/Characters",
    "01_Assets/Locations",
    "01_Assets/Music",
    "01_Assets/Styles",
    "02_Source_Creative/Treatments",
    "02_Source_Creative/Scripts",
    "02_Source_Creative/ShotLists",
    "02_Source_Creative/Canvas",
    "03_Renders",
    "04_Project_Files",
    "05_Cache",
    "06_Exports",
)

_SHOTS_EXCLUDE: Any = {"narrative": {"chapters": {"__all__": {"scenes": {"__all__": {"shots"}}}}}}


class SceneFile(CamelModel):
    """The file that holds one scene's shots, then their takes.

    The takes come last, so that opening a project reads only the start of each scene file;
    a shot's takes are read when first used. Files of earlier versions hold each shot's takes
    inside the shot; they are read as they are.
    """

    schema_version: int = 1
    scene_id: str
    journal_revision: int = Field(
        default=0, description="Take journal lines up to this project revision are included."
    )
    shots: list[Shot] = Field(default_factory=list)
    take_counts: dict[str, int] = Field(default_factory=dict, description="By shot id.")
    takes: dict[str, list[Take]] = Field(default_factory=dict, description="By shot id.")


#: Where the takes of a scene file start, as `dump_scene` writes it. With two spaces of indent,
#: only a top-level key can follow a line break so (strings hold no raw line breaks).
_TAKES_KEY = b'\n  "takes": '
_SHOT_TAKES: Any = {"shots": {"__all__": {"takes"}}}
#: Bytes read at a time while looking for the takes: a few dozen shots.
_HEAD_CHUNK = 64 * 1024


def scene_file(project_dir: Path, scene_id: str) -> Path:
    """The path of the file holding the shots of `scene_id`."""
    return project_dir / SCENES_DIR / f"{scene_id}.json"


def take_journal(project_dir: Path, scene_id: str) -> Path:
    """The path of the append-only journal of takes registered since the scene file was written.

    Registering a take appends one line and fsyncs it, instead of rewriting the whole scene
    file; the next write of the scene file takes the lines in and removes the journal.
    """
    return project_dir / SCENES_DIR / f"{scene_id}.takes.jsonl"


@dataclass(frozen=True)
class JournalEntry:
    """One take registered in a scene's take journal."""

    revision: int
    shot_id: str
    take: Take
    activate: bool


def journal_line(revision: int, shot_id: str, take: Take, activate: bool) -> bytes:
    """The journal line that registers `take` in shot `shot_id` at project `revision`."""
    data = {"revision": revision, "shotId": shot_id, "activate": activate, "take": take}
    return to_json(data, by_alias=True) + b"\n"


def read_take_journal(path: Path, after: int = 0) -> list[JournalEntry]:
    """The entries of a take journal newer than revision `after`, in order.

    A line cut short by a crash (the last one) is skipped: its take was not yet registered.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    entries = []
    for line in raw.splitlines():
        try:
            data = json.loads(line)
            entry = JournalEntry(
                int(data["revision"]),
                str(data["shotId"]),
                Take.model_validate(data["take"]),
                bool(data.get("activate")),
            )
        except (ValueError, KeyError, TypeError):
            log.warning("skipping an unreadable line of %s", path.name)
            continue
        if entry.revision > after:
            entries.append(entry)
    return entries


def apply_take_journal(shots: list[Shot], entries: list[JournalEntry]) -> None:
    """Add the journal's takes to their shots, once each, in number order."""
    by_id = {shot.id: shot for shot in shots}
    for entry in entries:
        shot = by_id.get(entry.shot_id)
        if shot is None or any(t.id == entry.take.id for t in shot.takes):
            continue  # the shot moved or went, or the take is already in
        takes = list(shot.takes)
        bisect.insort(takes, entry.take, key=lambda t: t.number)
        shot.takes = takes
        if entry.activate and shot.active_take is None:
            shot.active_take = entry.take.id


def _load_json(raw: bytes, source: str) -> Any:
    try:
        return json.loads(raw)
    except UnicodeDecodeError as exc:
        raise ManifestError(source, [f"(file): not UTF-8 text ({exc.reason})"]) from None
    except json.JSONDecodeError as exc:
        raise ManifestError(source, [f"line {exc.lineno} column {exc.colno}: {exc.msg}"]) from None


def parse_manifest(raw: bytes, source: str = PROJECT_FILE) -> Project:
    """Parse and validate `project.json`, migrating older schema versions."""
    data = _load_json(raw, source)
    try:
        data = migrate_manifest(data)
        return Project.model_validate(data)
    except SchemaVersionError as exc:
        raise ManifestError(source, [str(exc)]) from None
    except ValidationError as exc:
        raise ManifestError(source, describe_validation_error(exc)) from None


def _parse_scene_file(raw: bytes, scene_id: str, source: str) -> SceneFile:
    try:
        parsed = SceneFile.model_validate_json(raw)
    except ValidationError as exc:
        raise ManifestError(source, describe_validation_error(exc)) from None
    if parsed.scene_id != scene_id:
        raise ManifestError(source, [f"sceneId: {parsed.scene_id!r} should be {scene_id!r}"])
    return parsed


def parse_scene(raw: bytes, scene_id: str, source: str) -> list[Shot]:
    """Parse and validate a whole scene file, takes included; it must belong to `scene_id`."""
    return _whole_scene(raw, scene_id, source)[0]


def _whole_scene(raw: bytes, scene_id: str, source: str) -> tuple[list[Shot], None, int]:
    """A whole scene file: its shots with their takes, and the journal revision it includes."""
    parsed = _parse_scene_file(raw, scene_id, source)
    for shot in parsed.shots:
        if not shot.takes and shot.id in parsed.takes:
            shot.takes = parsed.takes[shot.id]
    return parsed.shots, None, parsed.journal_revision


def read_scene_shots(
    path: Path, scene_id: str, source: str
) -> tuple[list[Shot], dict[str, int] | None, int]:
    """Read a scene file's shots, leaving their takes unread where the file allows it.

    Returns the shots; when their takes were left unread, the number of takes of each shot
    ({} when the file does not say), None when the whole file was read, takes included; and
    the revision up to which the file includes the scene's take journal.
    """
    with path.open("rb") as handle:
        raw = handle.read(_HEAD_CHUNK)
        while (at := raw.find(_TAKES_KEY)) < 0:
            more = handle.read(len(raw))
            if not more:
                return _whole_scene(raw, scene_id, source)
            raw += more
    head = raw[:at].rstrip().rstrip(b",") + b"\n}"
    try:
        parsed = _parse_scene_file(head, scene_id, source)
    except ManifestError:
        # Not laid out as Auteur writes it: read it all, for an exact account of what is wrong.
        return _whole_scene(path.read_bytes(), scene_id, source)
    if any(shot.takes for shot in parsed.shots):
        return _whole_scene(path.read_bytes(), scene_id, source)
    has_counts = "take_counts" in parsed.model_fields_set
    counts = parsed.take_counts if has_counts else {}
    return parsed.shots, counts, parsed.journal_revision


def read_scene_takes(path: Path, scene_id: str, source: str) -> dict[str, list[Take]]:
    """Read the takes of a scene file, by shot id."""
    return _parse_scene_file(path.read_bytes(), scene_id, source).takes


def dump_manifest(project: Project) -> bytes:
    """Serialise the manifest, leaving each scene's shots to its scene file."""
    return project.model_dump_json(by_alias=True, exclude=_SHOTS_EXCLUDE, indent=2).encode() + b"\n"


def dump_scene(scene: Scene, journal_revision: int = 0) -> bytes:
    """Serialise one scene's shots, then their takes (see `SceneFile`).

    `journal_revision`: the project revision of the write; the scene's take journal lines
    up to it are included in the file.
    """
    takes = {shot.id: list(shot.takes) for shot in scene.shots}
    takes = {shot_id: items for shot_id, items in takes.items() if items}
    counts = {shot_id: len(items) for shot_id, items in takes.items()}
    body = SceneFile(
        scene_id=scene.id,
        journal_revision=journal_revision,
        shots=scene.shots,
        take_counts=counts,
        takes=takes,
    )
    text = body.model_dump_json(by_alias=True, indent=2, exclude=_SHOT_TAKES)
    return text.encode() + b"\n"


def drop_duplicate_shots(project: Project) -> None:
    """Keep only the first place of a shot found in two scenes.

    A crash while a shot moves between scenes can leave it in both scene files: its new scene
    file is written before its old one.
    """
    seen: set[str] = set()
    for chapter in project.narrative.chapters:
        for scene in chapter.scenes:
            if any(shot.id in seen for shot in scene.shots):
                log.warning("shot appears twice; keeping its first place (scene %s)", scene.id)
                scene.shots = [shot for shot in scene.shots if shot.id not in seen]
            seen.update(shot.id for shot in scene.shots)


def _check_references(project: Project) -> list[str]:
    problems: list[str] = []
    seen: dict[str, str] = {}
    assets = project.assets
    known = {
        a.asset_id for group in (assets.characters, assets.locations, assets.styles) for a in group
    }

    def unique(ident: str, where: str) -> None:
        if ident in seen:
            problems.append(f"{where}.id: {ident!r} is also used by {seen[ident]}")
        seen[ident] = where

    for ci, chapter in enumerate(project.narrative.chapters):
        cw = f"narrative.chapters[{ci}]"
        unique(chapter.id, cw)
        for si, scene in enumerate(chapter.scenes):
            sw = f"{cw}.scenes[{si}]"
            unique(scene.id, sw)
            for hi, shot in enumerate(scene.shots):
                hw = f"{sw}.shots[{hi}]"
                unique(shot.id, hw)
                for ref in [*shot.characters, shot.location, shot.style]:
                    if ref is not None and ref not in known:
                        problems.append(f"{hw}: uses asset {ref!r}, which is not in the library")
                take_ids = {t.id for t in shot.takes}
                if shot.active_take is not None and shot.active_take not in take_ids:
                    problems.append(
                        f"{hw}.activeTake: {shot.active_take!r} is not one of its takes"
                    )
    return problems


def _scene_files(project_dir: Path, project: Project) -> tuple[dict[str, list[Shot]], list[str]]:
    shots: dict[str, list[Shot]] = {}
    problems: list[str] = []
    for chapter in project.narrative.chapters:
        for scene in chapter.scenes:
            path = scene_file(project_dir, scene.id)
            if not path.is_file():
                continue
            rel = path.relative_to(project_dir).as_posix()
            try:
                found, _, absorbed = _whole_scene(path.read_bytes(), scene.id, rel)
                journal = take_journal(project_dir, scene.id)
                apply_take_journal(found, read_take_journal(journal, absorbed))
                shots[scene.id] = found
            except ManifestError as exc:
                problems += [f"{rel}: {p}" for p in exc.problems]
    return shots, problems


def validate_project(path: Path) -> list[str]:
    """Return every problem of a project folder or a `project.json`; empty when valid.

    The project is checked as opening it reads it: a shot left in two scenes by a crash is
    repaired on open, so it is no problem here.
    """
    path = Path(path)
    manifest = path if path.is_file() else path / PROJECT_FILE
    if not manifest.is_file():
        return [f"{manifest}: no such file"]
    enabled = gc.isenabled()
    gc.disable()  # building many models at once; see the store's _gc_paused
    try:
        try:
            project = parse_manifest(manifest.read_bytes(), str(manifest))
        except ManifestError as exc:
            return exc.problems
        problems: list[str] = []
        if manifest.name == PROJECT_FILE:
            shots, problems = _scene_files(manifest.parent, project)
            for scene in _all_scenes(project.narrative.chapters):
                if scene.id in shots:
                    scene.shots = shots[scene.id]
            drop_duplicate_shots(project)
    finally:
        if enabled:
            gc.enable()
    return problems + _check_references(project)


def _all_scenes(chapters: list[Chapter]) -> list[Scene]:
    return [scene for chapter in chapters for scene in chapter.scenes]
