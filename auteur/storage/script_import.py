"""Screenplay import: a Fountain script becomes chapters, scenes, shots, characters and locations.

Importing again after the script changed updates what the last import made: scenes and shots are
found again by the keys the script gives them (`ScriptRef`), fields the user edited since are left
as they are, and nothing is deleted, least of all takes. Scenes and shots the script no longer has
are kept and reported.
"""

from __future__ import annotations

import errno
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..model import (
    AssetCategory,
    Chapter,
    CreativeDocument,
    DialogueLine,
    DocumentType,
    Project,
    ProjectUpdateEvent,
    Scene,
    ScriptRef,
    Shot,
)
from ..model.fountain import FountainError, parse_fountain
from ..model.screenplay import (
    Breakdown,
    DraftShot,
    ScriptScene,
    ShotSplit,
    break_down,
    display_name,
    name_key,
)

if TYPE_CHECKING:
    from .store import ProjectStore

__all__ = ["ScriptImport", "import_script", "import_script_text", "read_script"]

_T = TypeVar("_T")


@dataclass
class ScriptImport:
    """What an import did, by address (``2/3`` for scene 3 of chapter 2) or name."""

    title: str
    document: CreativeDocument | None = None
    #: True when the screenplay document was created or its text changed.
    document_changed: bool = False
    chapters_added: list[str] = field(default_factory=list)
    scenes_added: list[str] = field(default_factory=list)
    scenes_updated: list[str] = field(default_factory=list)
    shots_added: list[str] = field(default_factory=list)
    shots_updated: list[str] = field(default_factory=list)
    characters_added: list[str] = field(default_factory=list)
    locations_added: list[str] = field(default_factory=list)
    #: Scenes and shots an earlier import made that the script no longer has; they are kept.
    kept: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the import changed anything in the project."""
        return any(
            (
                self.document_changed,
                self.chapters_added,
                self.scenes_added,
                self.scenes_updated,
                self.shots_added,
                self.shots_updated,
                self.characters_added,
                self.locations_added,
            )
        )

    def summary(self) -> str:
        """One line saying what changed."""
        parts = [
            (self.scenes_added, "scene", "added"),
            (self.scenes_updated, "scene", "updated"),
            (self.shots_added, "shot", "added"),
            (self.shots_updated, "shot", "updated"),
            (self.characters_added, "character", "added"),
            (self.locations_added, "location", "added"),
        ]
        said = [
            f"{len(items)} {noun}{'s' if len(items) != 1 else ''} {verb}"
            for items, noun, verb in parts
            if items
        ]
        if self.document_changed:
            said.append("screenplay document saved")
        return ", ".join(said) if said else "no changes"


def read_script(path: str | Path, max_bytes: int | None = None) -> str:
    """The text of a screenplay file, with clear errors for a missing or unreadable one."""
    path = Path(path).expanduser()
    if not path.is_file():
        what = "is a folder, not a screenplay file" if path.is_dir() else "no such screenplay file"
        raise FileNotFoundError(errno.ENOENT, what, str(path))
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise FountainError(
            f"the file is {size:,} bytes; the limit is {max_bytes:,}", None, path.name
        )
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FountainError(
            f"not UTF-8 text (byte {exc.start}); save the screenplay as UTF-8 Fountain",
            None,
            path.name,
        ) from None


def import_script(
    store: ProjectStore,
    source: str | Path,
    *,
    split: ShotSplit | str | None = None,
    title: str | None = None,
) -> ScriptImport:
    """Import the Fountain screenplay in file `source` into the project of `store`.

    `split` says how scenes are cut into draft shots (default: the ``script_shot_split``
    setting). `title` names the screenplay document; default: the script's title page, else the
    file's name. The script is kept as a screenplay document in ``02_Source_Creative/Scripts``.
    """
    path = Path(source).expanduser()
    text = read_script(path, store.settings.max_upload_bytes)
    inside = path.resolve().is_relative_to(store.path)
    rel = path.resolve().relative_to(store.path).as_posix() if inside else None
    return import_script_text(
        store, text, name=path.stem, split=split, title=title, source=path.name, document_path=rel
    )


def import_script_text(
    store: ProjectStore,
    text: str,
    *,
    name: str = "Screenplay",
    split: ShotSplit | str | None = None,
    title: str | None = None,
    source: str | None = None,
    document_path: str | None = None,
) -> ScriptImport:
    """Import screenplay `text` (Fountain); `name` titles it when its title page does not.

    `document_path` is the project path of a screenplay document the text was read from, so
    that importing a document of the project updates that document and makes no copy.
    """
    screenplay = parse_fountain(text, source)
    known = [c.name for c in store.project.assets.characters]
    breakdown = break_down(screenplay, split or store.settings.script_shot_split, known)
    if not breakdown.scenes:
        raise FountainError(
            "no scene headings found (lines such as INT. HOUSE - DAY, or forced with a "
            "leading dot), so there are no scenes to import",
            None,
            source,
        )
    doc_title = title or breakdown.title or name
    report = ScriptImport(title=doc_title, warnings=list(breakdown.warnings))
    with store.transaction() as project:
        # First, so that undo and the history name the whole import.
        store.emit(
            ProjectUpdateEvent(
                changes={"action": "imported", "kind": "screenplay", "address": doc_title}
            )
        )
        importer = _Importer(store, project, breakdown, report)
        importer.run()
        _keep_document(store, report, text, document_path)
    return report


def _keep_document(
    store: ProjectStore, report: ScriptImport, text: str, document_path: str | None
) -> None:
    documents = store.documents
    existing = documents.list(DocumentType.SCREENPLAY)
    match = next((d for d in existing if document_path and d.path == document_path), None)
    match = match or next((d for d in existing if d.title == report.title), None)
    if match is None:
        report.document = documents.create(DocumentType.SCREENPLAY, report.title, text)
        report.document_changed = True
    elif documents.read(match.id) != text:
        report.document = documents.update(match.id, text)
        report.document_changed = True
    else:
        report.document = match


def _renumber(items: list[Any]) -> bool:
    changed = False
    for number, item in enumerate(items, start=1):
        if item.number != number:
            item.number = number
            changed = True
    return changed


def _reorder(items: list[_T], ordered: list[_T]) -> list[_T]:
    """`ordered` (some of `items`) in that order; other items stay after the one they followed."""
    wanted = {id(item) for item in ordered}
    anchors: dict[int | None, list[_T]] = {}
    last: int | None = None
    for item in items:
        if id(item) in wanted:
            last = id(item)
        else:
            anchors.setdefault(last, []).append(item)
    result = list(anchors.get(None, []))
    for item in ordered:
        result.append(item)
        result.extend(anchors.get(id(item), []))
    return result


def _apply(item: Any, wanted: dict[str, Any]) -> tuple[bool, bool]:
    """Set `wanted` fields of `item`: (anything written, more than its place in the script)."""
    written = meaningful = False
    for name, value in wanted.items():
        current = getattr(item, name)
        if current == value:
            continue
        setattr(item, name, value)
        written = True
        # Lines and indexes move whenever text above changes; that is not a change of the item.
        if not isinstance(current, ScriptRef) or (current.key, current.drafted) != (
            value.key,
            value.drafted,
        ):
            meaningful = True
    return written, meaningful


class _Importer:
    """Applies a breakdown to the project inside the import's transaction."""

    def __init__(
        self, store: ProjectStore, project: Project, breakdown: Breakdown, report: ScriptImport
    ) -> None:
        self.store = store
        self.project = project
        self.breakdown = breakdown
        self.report = report
        self.settings = store.settings
        self.characters: dict[str, str] = {}  # name key → asset id
        self.locations: dict[str, str] = {}
        self.placed_shots: set[str] = set()

    def run(self) -> None:
        self._assets()
        placed = self._scenes()
        for script_scene, scene in placed:
            self._shots(script_scene, scene)
        self._report_kept({scene.id for _, scene in placed})

    # ------------------------------------------------------------ assets

    def _assets(self) -> None:
        library = self.store.assets
        assets = self.project.assets
        self.characters = {name_key(c.name): c.asset_id for c in assets.characters}
        self.locations = {name_key(loc.name): loc.asset_id for loc in assets.locations}
        for name in self.breakdown.characters:
            if name_key(name) not in self.characters:
                made = library.create(
                    AssetCategory.CHARACTERS, name, description=self._origin("A character")
                )
                self.characters[name_key(name)] = made.asset_id
                self.report.characters_added.append(made.name)
        for name in self.breakdown.locations:
            if name_key(name) not in self.locations:
                made = library.create(
                    AssetCategory.LOCATIONS, name, description=self._origin("A location")
                )
                self.locations[name_key(name)] = made.asset_id
                self.report.locations_added.append(made.name)

    def _origin(self, what: str) -> str:
        return f"{what} of the screenplay {self.report.title}."

    # ------------------------------------------------------------ chapters and scenes

    def _scenes(self) -> list[tuple[ScriptScene, Scene]]:
        chapters = self.project.narrative.chapters
        old = [(c, s) for c in chapters for s in c.scenes if s.script is not None]
        first_import = not old
        matched = self._match_scenes(old)
        act_chapters = self._act_chapters()
        placed: list[tuple[ScriptScene, Scene]] = []
        previous_chapter: Chapter | None = None
        total = len(self.breakdown.scenes)
        for position, script_scene in enumerate(self.breakdown.scenes):
            found = matched.get(script_scene.index)
            if found is not None:
                chapter, scene = found
                self._update_scene(script_scene, scene)
            else:
                if script_scene.act is not None and script_scene.act in act_chapters:
                    chapter = act_chapters[script_scene.act]
                elif act_chapters:
                    chapter = next(iter(act_chapters.values()))
                elif previous_chapter is not None and not first_import:
                    chapter = previous_chapter
                else:
                    chapter = self._chapter_at((position + 0.5) / total)
                scene = self._add_scene(script_scene, chapter)
            previous_chapter = chapter
            placed.append((script_scene, scene))
        self._order_scenes(placed)
        return placed

    def _match_scenes(self, old: list[tuple[Chapter, Scene]]) -> dict[int, tuple[Chapter, Scene]]:
        by_key = {s.script.key: (c, s) for c, s in old if s.script is not None}
        matched: dict[int, tuple[Chapter, Scene]] = {}
        used: set[str] = set()
        for script_scene in self.breakdown.scenes:
            found = by_key.get(script_scene.key)
            if found is not None and found[1].id not in used:
                matched[script_scene.index] = found
                used.add(found[1].id)
        # A heading rewritten in place: the scene at the same place in the script.
        keys = {s.key for s in self.breakdown.scenes}
        by_index = {s.script.index: (c, s) for c, s in old if s.script is not None}
        for script_scene in self.breakdown.scenes:
            if script_scene.index in matched:
                continue
            found = by_index.get(script_scene.index)
            if found is None or found[1].id in used or found[1].script is None:
                continue
            if found[1].script.key not in keys:  # its own heading is gone from the script
                matched[script_scene.index] = found
                used.add(found[1].id)
        return matched

    def _act_chapters(self) -> dict[str, Chapter]:
        """The chapter of each act the script marks (``# ACT ONE``), made when missing."""
        chapters = self.project.narrative.chapters
        result: dict[str, Chapter] = {}
        taken: set[str] = set()
        for index, act in enumerate(dict.fromkeys(self.breakdown.acts), start=1):
            key = f"act:{name_key(act)}"
            chapter = next((c for c in chapters if c.script and c.script.key == key), None)
            chapter = chapter or next(
                (c for c in chapters if name_key(c.title) == name_key(act) and c.id not in taken),
                None,
            )
            if chapter is None and index <= len(chapters):
                # The n-th act fills the n-th chapter of the narrative structure.
                candidate = chapters[index - 1]
                if candidate.script is None and candidate.id not in taken:
                    chapter = candidate
            if chapter is None:
                chapter = self.store.add_chapter(self._name(act))
                self.report.chapters_added.append(str(chapter.number))
            ref = ScriptRef(key=key, index=index)
            if chapter.script != ref:
                chapter.script = ref
                self.store.touch_manifest()
            taken.add(chapter.id)
            result[act] = chapter
        return result

    def _chapter_at(self, position: float) -> Chapter:
        """The chapter of the narrative structure a scene at `position` (0-1) falls in."""
        chapters = self.project.narrative.chapters
        if not chapters:
            chapter = self.store.add_chapter(self._name(self.report.title))
            self.report.chapters_added.append(str(chapter.number))
            return chapter
        beats: dict[int, list[float]] = {}
        for beat in self.project.narrative.emotional_beats:
            if beat.chapter is not None and beat.position is not None:
                beats.setdefault(beat.chapter, []).append(beat.position)
        if all(c.number in beats for c in chapters):
            # Each scene goes to the chapter of the story beat nearest its place in the script.
            nearest = min(
                ((abs(p - position), c.number) for c in chapters for p in beats[c.number]),
            )
            return chapters[nearest[1] - 1]
        return chapters[min(len(chapters) - 1, math.floor(position * len(chapters)))]

    def _name(self, text: str) -> str:
        limit = self.settings.max_name_length
        text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

    def _scene_drafts(self, script_scene: ScriptScene) -> dict[str, Any]:
        return {
            "title": self._name(script_scene.heading.text),
            "description": script_scene.synopsis,
        }

    def _add_scene(self, script_scene: ScriptScene, chapter: Chapter) -> Scene:
        drafted = self._scene_drafts(script_scene)
        scene = self.store.add_scene(chapter.id, drafted["title"], drafted["description"])
        self._script_fields(scene, script_scene, drafted)
        self.store.touch_manifest()
        self.report.scenes_added.append(scene.id)
        return scene

    def _script_fields(
        self, scene: Scene, script_scene: ScriptScene, drafted: dict[str, Any]
    ) -> tuple[bool, bool]:
        heading = script_scene.heading
        ref = ScriptRef(
            key=script_scene.key, index=script_scene.index, line=script_scene.line, drafted=drafted
        )
        wanted = {
            "heading": heading.text,
            "int_ext": heading.int_ext,
            "time_of_day": heading.time_of_day,
            "script": ref,
        }
        return _apply(scene, wanted)

    def _update_scene(self, script_scene: ScriptScene, scene: Scene) -> None:
        drafted = self._scene_drafts(script_scene)
        before = scene.script.drafted if scene.script else {}
        changes = {
            name: value
            for name, value in drafted.items()
            if getattr(scene, name) == before.get(name) and getattr(scene, name) != value
        }
        # A field the user changed keeps their value, and stays theirs on later imports.
        kept = {n: before.get(n) for n in drafted if getattr(scene, n) != before.get(n)}
        changed = bool(changes)
        if changes:
            self.store.update(scene.id, **changes)
        written, meaningful = self._script_fields(scene, script_scene, {**drafted, **kept})
        if written:
            self.store.touch_manifest()
        changed = changed or meaningful
        if changed:
            self.report.scenes_updated.append(scene.id)

    def _order_scenes(self, placed: list[tuple[ScriptScene, Scene]]) -> None:
        for chapter in self.project.narrative.chapters:
            mine = {id(s) for s in chapter.scenes}
            ordered = [scene for _, scene in placed if id(scene) in mine]
            if not ordered:
                continue
            scenes = _reorder(chapter.scenes, ordered)
            moved = [s.id for s in scenes] != [s.id for s in chapter.scenes]
            if moved:
                chapter.scenes = scenes
            if _renumber(chapter.scenes) or moved:
                self.store.touch_manifest()

    # ------------------------------------------------------------ shots

    def _shot_drafts(self, script_scene: ScriptScene, draft: DraftShot) -> dict[str, Any]:
        location = script_scene.heading.location
        return {
            "description": draft.description,
            "duration": draft.duration(
                self.project.settings.fps, self.settings.default_shot_frames
            ),
            "characters": [
                self.characters[name_key(n)]
                for n in draft.characters
                if name_key(n) in self.characters
            ],
            "location": self.locations.get(name_key(display_name(location))) if location else None,
        }

    def _dialogue(self, draft: DraftShot) -> list[DialogueLine]:
        return [
            DialogueLine(
                speaker=speech.speaker,
                character=self.characters.get(name_key(speech.name)),
                extensions=list(speech.extensions),
                parenthetical=speech.parenthetical,
                text=speech.text,
                dual=speech.dual,
            )
            for speech in draft.speeches
        ]

    def _shots(self, script_scene: ScriptScene, scene: Scene) -> None:
        old = [s for s in scene.shots if s.script is not None]
        matched = self._match_shots(script_scene.shots, old)
        ordered: list[Shot] = []
        for draft in script_scene.shots:
            drafted = self._shot_drafts(script_scene, draft)
            shot = matched.get(draft.index)
            if shot is None:
                shot = self.store.add_shot(scene.id, **drafted)
                self._shot_script_fields(scene, shot, draft, drafted)
                self.report.shots_added.append(shot.id)
            else:
                self._update_shot(scene, shot, draft, drafted)
            ordered.append(shot)
            self.placed_shots.add(shot.id)
        shots = _reorder(scene.shots, ordered)
        if [s.id for s in shots] != [s.id for s in scene.shots]:
            scene.shots = shots
            self.store.touch_scene(scene)
        if _renumber(scene.shots):
            self.store.touch_scene(scene)

    @staticmethod
    def _match_shots(drafts: list[DraftShot], old: list[Shot]) -> dict[int, Shot]:
        matched: dict[int, Shot] = {}
        used: set[str] = set()
        # The same passage first (it may have moved), then the same place in the scene.
        for draft in drafts:
            text = draft.source_text
            found = next((s for s in old if s.id not in used and s.source_text == text), None)
            if found is not None:
                matched[draft.index] = found
                used.add(found.id)
        for draft in drafts:
            if draft.index in matched:
                continue
            found = next(
                (s for s in old if s.id not in used and s.script and s.script.key == draft.key),
                None,
            )
            if found is not None:
                matched[draft.index] = found
                used.add(found.id)
        return matched

    def _shot_script_fields(
        self, scene: Scene, shot: Shot, draft: DraftShot, drafted: dict[str, Any]
    ) -> bool:
        """Set what the script owns; True when that changed more than the shot's place."""
        ref = ScriptRef(key=draft.key, index=draft.index, line=draft.line, drafted=drafted)
        wanted = {
            "source_text": draft.source_text,
            "dialogue": self._dialogue(draft),
            "script": ref,
        }
        written, meaningful = _apply(shot, wanted)
        if written:
            self.store.touch_scene(scene)
        return meaningful

    def _update_shot(
        self, scene: Scene, shot: Shot, draft: DraftShot, drafted: dict[str, Any]
    ) -> None:
        before = shot.script.drafted if shot.script else {}
        untouched = {n for n in drafted if getattr(shot, n) == before.get(n)}
        changes = {n: drafted[n] for n in untouched if getattr(shot, n) != drafted[n]}
        if "characters" not in untouched:
            # The user recast the shot: keep their cast, and add who the script now adds.
            extra = [c for c in drafted["characters"] if c not in before.get("characters", [])]
            extra = [c for c in extra if c not in shot.characters]
            if extra:
                changes["characters"] = [*shot.characters, *extra]
        if changes:
            self.store.update(shot.id, **changes)
        kept = {n: before.get(n) for n in drafted if n not in untouched}
        if self._shot_script_fields(scene, shot, draft, {**drafted, **kept}) or changes:
            self.report.shots_updated.append(shot.id)

    # ------------------------------------------------------------ what the script dropped

    def _report_kept(self, placed: set[str]) -> None:
        for chapter in self.project.narrative.chapters:
            for scene in chapter.scenes:
                address = f"{chapter.number}/{scene.number}"
                if scene.script is not None and scene.id not in placed:
                    self.report.kept.append(address)
                    continue
                for shot in scene.shots:
                    if shot.script is not None and shot.id not in self.placed_shots:
                        self.report.kept.append(f"{address}/{shot.number}")
