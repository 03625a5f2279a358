"""A screenplay broken down for production: scenes, draft shots, characters and locations. No IO.

`break_down` reads a parsed `Screenplay` and returns what an import needs: each scene with its
heading parsed (INT/EXT, location, time of day), the act it falls in, and a draft shot list,
one shot per action block by default. Every scene and shot gets a stable key derived from the
script, so that importing a changed script again finds the items it made before.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from .fountain import Element, ElementType, Screenplay

__all__ = [
    "Breakdown",
    "DraftShot",
    "SceneHeading",
    "ScriptScene",
    "ShotSplit",
    "Speech",
    "break_down",
    "display_name",
    "name_key",
    "parse_heading",
]

#: How fast dialogue is spoken, to draft a shot long enough for its lines.
WORDS_PER_SECOND = 2.5


class ShotSplit(StrEnum):
    """How a scene is cut into draft shots."""

    ACTION = "action"  # one shot per action block; speeches join the shot before them
    SPEECH = "speech"  # one shot per action block and one per speech
    SCENE = "scene"  # one shot per scene


# --------------------------------------------------------------------------- names

_MINOR_WORDS = {"a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to"}
_ROMAN = re.compile(r"^[IVXLC]+$")
_APOSTROPHE_NAME = re.compile(r"^([A-Z])'([A-Z]{2,})(.*)$")


def _title_word(word: str, first: bool) -> str:
    if _ROMAN.match(word) and len(word) > 1:
        return word
    lower = word.lower()
    if not first and lower in _MINOR_WORDS:
        return lower
    match = _APOSTROPHE_NAME.match(word)
    if match:  # O'BRIEN → O'Brien
        return f"{match.group(1)}'{match.group(2).capitalize()}{match.group(3).lower()}"
    return "-".join(part.capitalize() for part in word.split("-"))


def display_name(name: str) -> str:
    """The name as the project shows it: ``DR. SMITH`` → ``Dr. Smith``; mixed case is kept."""
    name = " ".join(name.split())
    if name != name.upper():
        return name
    return " ".join(_title_word(w, i == 0) for i, w in enumerate(name.split(" ")))


def name_key(name: str) -> str:
    """A name reduced for matching: ``AVA (V.O.)``, ``Ava`` and ``ava`` give the same key."""
    name = re.sub(r"\([^()]*\)", " ", name)
    name = re.sub(r"[^\w\s]", "", name.casefold())
    return " ".join(name.split())


# --------------------------------------------------------------------------- headings

_PREFIX = re.compile(r"^(INT\./EXT|INT/EXT|I/E|INT|EXT|EST)[. ]\s*\.?\s*", re.IGNORECASE)
_PARTS = re.compile(r"\s+[-\u2013\u2014]+\s+|\s*[\u2013\u2014]\s*")
_TIME_WORDS = {
    "DAY",
    "NIGHT",
    "MORNING",
    "AFTERNOON",
    "EVENING",
    "DUSK",
    "DAWN",
    "SUNSET",
    "SUNRISE",
    "NOON",
    "MIDNIGHT",
    "CONTINUOUS",
    "LATER",
    "SAME",
    "TWILIGHT",
    "HOUR",
    "DAYTIME",
    "NIGHTTIME",
}


@dataclass(frozen=True)
class SceneHeading:
    """A scene heading and what it says: ``INT. LIGHTHOUSE - LAMP ROOM - NIGHT``."""

    text: str
    int_ext: str | None = None  # INT, EXT, INT/EXT or EST; None for a forced heading
    location: str | None = None  # as written: LIGHTHOUSE - LAMP ROOM
    time_of_day: str | None = None  # as written: NIGHT
    number: str | None = None


def _is_time(part: str) -> bool:
    return any(word in _TIME_WORDS for word in re.findall(r"[A-Z]+", part.upper()))


def parse_heading(text: str, number: str | None = None) -> SceneHeading:
    """Split a scene heading into INT/EXT, location and time of day.

    A heading without INT/EXT (a forced one, such as ``.SNIPER SCOPE POV``) names no location.
    """
    text = " ".join(text.split())
    match = _PREFIX.match(text)
    if match is None:
        return SceneHeading(text=text, number=number)
    prefix = match.group(1).upper()
    int_ext = "INT/EXT" if "/" in prefix else prefix
    parts = [p.strip() for p in _PARTS.split(text[match.end() :]) if p.strip()]
    time = None
    if len(parts) >= 2 and _is_time(parts[-1]):
        time = parts.pop()
    location = " - ".join(parts) or None
    return SceneHeading(text, int_ext, location, time, number)


# --------------------------------------------------------------------------- breakdown


@dataclass(frozen=True)
class Speech:
    """One character's speech: the cue, a parenthetical and what they say."""

    name: str  # as the cue has it: AVA
    extensions: tuple[str, ...]
    parenthetical: str
    text: str
    line: int
    dual: bool = False

    @property
    def speaker(self) -> str:
        """The character's name as the project shows it."""
        return display_name(self.name)

    def fountain(self, second_of_dual: bool = False) -> str:
        """The speech written back as Fountain (``^`` marks the second of a dual dialogue)."""
        cue = " ".join([self.name, *(f"({e})" for e in self.extensions)])
        lines = [cue + (" ^" if second_of_dual else "")]
        if self.parenthetical:
            lines.append(self.parenthetical)
        lines.append(self.text)
        return "\n".join(line for line in lines if line)


@dataclass
class DraftShot:
    """A shot drafted from the script: an action block and the speeches that follow it."""

    key: str
    index: int
    line: int
    action: str = ""
    speeches: list[Speech] = field(default_factory=list)
    characters: list[str] = field(default_factory=list)  # display names: speakers, then seen

    @property
    def description(self) -> str:
        """What the shot shows, on one line: its action, else who speaks."""
        if self.action:
            return " ".join(self.action.split())
        said = [f"{s.speaker}: {' '.join(s.text.split())}" for s in self.speeches]
        return " / ".join(said)

    @property
    def source_text(self) -> str:
        """The script passage the shot covers, as Fountain."""
        blocks = [self.action] if self.action else []
        previous: Speech | None = None
        for speech in self.speeches:
            second = speech.dual and previous is not None and previous.dual
            blocks.append(speech.fountain(second_of_dual=second))
            previous = None if second else speech
        return "\n\n".join(blocks)

    def duration(self, fps: int, default_frames: int) -> int:
        """Frames: long enough to speak its lines, and never shorter than `default_frames`."""
        words = sum(len(s.text.split()) for s in self.speeches)
        return max(default_frames, math.ceil(fps * words / WORDS_PER_SECOND))


@dataclass
class ScriptScene:
    """A scene of the script with its draft shots."""

    key: str
    index: int
    line: int
    heading: SceneHeading
    act: str | None = None
    synopsis: str = ""
    shots: list[DraftShot] = field(default_factory=list)

    @property
    def characters(self) -> list[str]:
        """Display names of everyone who speaks or appears, in order."""
        return _unique(name for shot in self.shots for name in shot.characters)


@dataclass
class Breakdown:
    """What a screenplay holds for production."""

    title: str | None
    scenes: list[ScriptScene]
    acts: list[str]
    characters: list[str]  # display names of everyone who speaks, in order of first speech
    locations: list[str]  # display names, in order of first appearance
    warnings: list[str] = field(default_factory=list)


def _unique(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        key = name_key(name)
        if key and key not in seen:
            seen.add(key)
            out.append(name)
    return out


class _SceneBuilder:
    """Cuts one scene's elements into draft shots."""

    def __init__(self, scene: ScriptScene, split: ShotSplit) -> None:
        self.scene = scene
        self.split = split
        self.current: DraftShot | None = None

    def _new_shot(self, line: int) -> DraftShot:
        index = len(self.scene.shots) + 1
        shot = DraftShot(key=str(index), index=index, line=line)
        self.scene.shots.append(shot)
        self.current = shot
        return shot

    def action(self, element: Element) -> None:
        if self.split is ShotSplit.SCENE and self.current is not None:
            shot = self.current
            shot.action = f"{shot.action}\n\n{element.text}" if shot.action else element.text
            return
        self._new_shot(element.line).action = element.text

    def speech(self, speech: Speech) -> None:
        if self.current is None or (
            self.split is ShotSplit.SPEECH and not (speech.dual and self._answers_dual())
        ):
            self._new_shot(speech.line)
        assert self.current is not None
        self.current.speeches.append(speech)

    def _answers_dual(self) -> bool:
        # The second half of a dual dialogue shares the shot of the first.
        speeches = self.current.speeches if self.current is not None else []
        return bool(speeches) and speeches[-1].dual


def _speeches(elements: list[Element], start: int) -> tuple[Speech, int]:
    """Read the speech whose cue is at `start`; return it and the index after it."""
    cue = elements[start]
    parenthetical = ""
    lines: list[str] = []
    index = start + 1
    while index < len(elements) and elements[index].type in (
        ElementType.DIALOGUE,
        ElementType.PARENTHETICAL,
    ):
        element = elements[index]
        if element.type is ElementType.PARENTHETICAL and not lines and not parenthetical:
            parenthetical = element.text
        else:
            lines.append(element.text)
        index += 1
    speech = Speech(
        name=cue.name,
        extensions=cue.extensions,
        parenthetical=parenthetical,
        text="\n".join(lines),
        line=cue.line,
        dual=cue.dual,
    )
    return speech, index


def _appearance_patterns(names: Iterable[str]) -> list[tuple[str, re.Pattern[str]]]:
    patterns = []
    for name in _unique(names):
        forms = {name, name.upper()}
        alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
        patterns.append((name, re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")))
    return patterns


def _cast(shot: DraftShot, patterns: list[tuple[str, re.Pattern[str]]]) -> None:
    seen = []
    for name, pattern in patterns:
        found = pattern.search(shot.action)
        if found:
            seen.append((found.start(), name))
    speakers = [s.speaker for s in shot.speeches]
    shot.characters = _unique([*speakers, *(name for _, name in sorted(seen))])


def break_down(
    screenplay: Screenplay,
    split: ShotSplit | str = ShotSplit.ACTION,
    known_names: Iterable[str] = (),
) -> Breakdown:
    """Break `screenplay` into scenes and draft shots.

    `known_names` are characters the project already has: a shot whose action names one of
    them (as ``Ava`` or ``AVA``) counts them as appearing in it, as it does for every
    character who speaks somewhere in the script.
    """
    split = ShotSplit(split)
    elements = list(screenplay.elements)
    sections = [e for e in elements if e.type is ElementType.SECTION]
    act_level = min((e.level for e in sections), default=0)
    acts: list[str] = []
    scenes: list[ScriptScene] = []
    warnings: list[str] = []
    builder: _SceneBuilder | None = None
    occurrences: dict[str, int] = {}
    act: str | None = None
    stray: list[int] = []
    index = 0
    while index < len(elements):
        element = elements[index]
        kind = element.type
        if kind is ElementType.SECTION:
            if element.level == act_level and element.text:
                act = element.text
                acts.append(act)
        elif kind is ElementType.SCENE_HEADING:
            heading = parse_heading(element.text, element.scene_number)
            scene = ScriptScene(
                key=_scene_key(heading, occurrences),
                index=len(scenes) + 1,
                line=element.line,
                heading=heading,
                act=act,
            )
            scenes.append(scene)
            builder = _SceneBuilder(scene, split)
        elif builder is None:
            if kind in (ElementType.ACTION, ElementType.CHARACTER, ElementType.CENTERED):
                stray.append(element.line)
        elif kind is ElementType.SYNOPSIS:
            synopsis = builder.scene.synopsis
            builder.scene.synopsis = f"{synopsis} {element.text}".strip()
        elif kind in (ElementType.ACTION, ElementType.CENTERED, ElementType.LYRICS):
            builder.action(element)
        elif kind is ElementType.CHARACTER:
            speech, index = _speeches(elements, index)
            builder.speech(speech)
            continue
        index += 1
    if stray:
        warnings.append(
            f"lines {stray[0]}-{stray[-1]} come before the first scene heading and were "
            "not imported"
            if len(stray) > 1
            else f"line {stray[0]} comes before the first scene heading and was not imported"
        )
    speakers = _unique(s.speaker for sc in scenes for sh in sc.shots for s in sh.speeches)
    patterns = _appearance_patterns([*speakers, *known_names])
    for scene in scenes:
        if not scene.shots:  # a heading alone is an establishing shot
            scene.shots.append(
                DraftShot(key="1", index=1, line=scene.line, action=scene.heading.text)
            )
        for shot in scene.shots:
            _cast(shot, patterns)
    locations = _unique(
        display_name(s.heading.location) for s in scenes if s.heading.location is not None
    )
    return Breakdown(
        title=screenplay.title,
        scenes=scenes,
        acts=acts,
        characters=speakers,
        locations=locations,
        warnings=warnings,
    )


def _scene_key(heading: SceneHeading, occurrences: dict[str, int]) -> str:
    # A written scene number survives any rewrite of the heading; otherwise the heading and
    # how many times it occurred before tell scenes apart.
    if heading.number:
        return f"#{heading.number}"
    base = " ".join(heading.text.casefold().split())
    occurrences[base] = occurrences.get(base, 0) + 1
    return f"{base}@{occurrences[base]}"
