"""A parser for Fountain, the plain-text screenplay format (https://fountain.io). No IO.

`parse_fountain` turns a script's text into a `Screenplay`: its title page and a flat list of
elements (scene headings, action, character cues, dialogue, parentheticals, transitions,
centered text, lyrics, sections, synopses and page breaks), each with the line it starts on.
Notes (``[[...]]``) are collected apart; boneyard comments (``/* ... */``) are dropped.
Emphasis markers (``*italic*``, ``**bold**``, ``_underline_``) are left in the text as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

__all__ = [
    "Element",
    "ElementType",
    "FountainError",
    "Note",
    "Screenplay",
    "parse_cue",
    "parse_fountain",
]


class FountainError(ValueError):
    """A screenplay could not be read. `line` is where the problem starts, when known."""

    def __init__(self, message: str, line: int | None = None, source: str | None = None) -> None:
        self.line = line
        self.source = source
        where = source or "screenplay"
        if line is not None:
            where += f", line {line}"
        super().__init__(f"{where}: {message}")


class ElementType(StrEnum):
    """Kinds of screenplay element."""

    SCENE_HEADING = "scene-heading"
    ACTION = "action"
    CHARACTER = "character"
    DIALOGUE = "dialogue"
    PARENTHETICAL = "parenthetical"
    TRANSITION = "transition"
    CENTERED = "centered"
    LYRICS = "lyrics"
    SECTION = "section"
    SYNOPSIS = "synopsis"
    PAGE_BREAK = "page-break"


@dataclass(frozen=True)
class Element:
    """One element of a screenplay, as written (forcing marks removed)."""

    type: ElementType
    text: str
    line: int
    forced: bool = False
    #: Character cues: the name without extensions, e.g. ``AVA`` for ``AVA (V.O.)``.
    name: str = ""
    #: Character cues: the extensions in parentheses, e.g. ``("V.O.", "CONT'D")``.
    extensions: tuple[str, ...] = ()
    #: Character cues: part of a dual (simultaneous) dialogue.
    dual: bool = False
    #: Scene headings: the scene number written as ``#12A#``.
    scene_number: str | None = None
    #: Sections: 1 for ``#``, 2 for ``##``...
    level: int = 0


@dataclass(frozen=True)
class Note:
    """A note (``[[...]]``): text for the writers, not part of the film."""

    text: str
    line: int


@dataclass(frozen=True)
class Screenplay:
    """A parsed Fountain script."""

    title_page: dict[str, str] = field(default_factory=dict)
    elements: tuple[Element, ...] = ()
    notes: tuple[Note, ...] = ()

    @property
    def title(self) -> str | None:
        """The title from the title page, on one line; None when it has none."""
        raw = self.title_page.get("title", "")
        text = " ".join(_strip_emphasis(part).strip() for part in raw.splitlines())
        return " ".join(text.split()) or None

    def of_type(self, kind: ElementType) -> list[Element]:
        """Every element of one kind, in script order."""
        return [e for e in self.elements if e.type is kind]


# --------------------------------------------------------------------------- patterns

_HEADING = re.compile(r"^(?:INT\./EXT|INT/EXT|I/E|INT|EXT|EST)[. ]", re.IGNORECASE)
_SCENE_NUMBER = re.compile(r"\s*#([\w.\-]+)#\s*$")
_PAGE_BREAK = re.compile(r"^={3,}$")
_TITLE_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9 _\-]*):(.*)$")
_KNOWN_TITLE_KEYS = {
    "title",
    "credit",
    "author",
    "authors",
    "source",
    "draft date",
    "date",
    "contact",
    "copyright",
    "notes",
    "revision",
    "format",
}
_FADES = re.compile(r"^(?:FADE (?:IN|OUT)|FADE TO BLACK|CUT TO BLACK)[.:]?$")
_CUE = re.compile(r"^(?P<name>[^(^]*?)\s*(?P<ext>(?:\([^()]*\)\s*)*)(?P<dual>\^)?\s*$")
_EXTENSION = re.compile(r"\(([^()]*)\)")
_NOTE = re.compile(r"\[\[((?:(?!\n[ \t]*\n).)*?)\]\]", re.DOTALL)
_SPECIAL = re.compile(r"/\*|\[\[|\n")
_EMPHASIS = re.compile(r"(\*{1,3}|_)(?=\S)(.+?)(?<=\S)\1")


def _strip_emphasis(text: str) -> str:
    while True:  # nested marks, such as _**TITLE**_, come off one layer at a time
        plain = _EMPHASIS.sub(r"\2", text)
        if plain == text:
            return plain
        text = plain


# --------------------------------------------------------------------------- preprocessing

_Line = tuple[int, str]


def _remove_comments(text: str, source: str | None) -> tuple[list[_Line], list[Note]]:
    """Drop boneyard and notes; return the remaining lines, each with its original number."""
    lines: list[_Line] = []
    notes: list[Note] = []
    buffer: list[str] = []
    had_note = False
    line = start = 1
    pos = 0
    while True:
        match = _SPECIAL.search(text, pos)
        if match is None:
            buffer.append(text[pos:])
            break
        buffer.append(text[pos : match.start()])
        token = match.group()
        if token == "\n":
            lines.append((start, _after_notes("".join(buffer), had_note)))
            buffer, had_note = [], False
            line += 1
            start = line
            pos = match.end()
        elif token == "/*":
            end = text.find("*/", match.end())
            if end < 0:
                raise FountainError(
                    "a boneyard comment opened with /* is never closed with */", line, source
                )
            line += text.count("\n", match.start(), end)
            pos = end + 2
        else:
            note = _NOTE.match(text, match.start())
            if note is None:  # no closing ]] before a blank line: plain text
                buffer.append(token)
                pos = match.end()
                continue
            notes.append(Note(" ".join(note.group(1).split()), line))
            line += note.group().count("\n")
            had_note = True
            pos = note.end()
    lines.append((start, _after_notes("".join(buffer), had_note)))
    # A line that held only a note is no line at all: it must not split a paragraph.
    return [(n, t) for n, t in lines if t is not None], notes


def _after_notes(text: str, had_note: bool) -> str | None:
    if had_note:
        text = text.rstrip()
        return text or None
    return text


def _is_blank(text: str) -> bool:
    # Two spaces alone keep a deliberate empty line inside dialogue or action.
    return not text.strip() and text != "  "


def _paragraphs(lines: list[_Line]) -> list[list[_Line]]:
    paragraphs: list[list[_Line]] = []
    current: list[_Line] = []
    for number, text in lines:
        if _is_blank(text):
            if current:
                paragraphs.append(current)
                current = []
        else:
            current.append((number, text.rstrip() if text != "  " else ""))
    if current:
        paragraphs.append(current)
    return paragraphs


# --------------------------------------------------------------------------- title page


def _title_page(paragraphs: list[list[_Line]]) -> tuple[dict[str, str], list[list[_Line]]]:
    if not paragraphs:
        return {}, paragraphs
    first = paragraphs[0]
    match = _TITLE_KEY.match(first[0][1])
    if match is None:
        return {}, paragraphs
    key, value = match.group(1).strip().lower(), match.group(2).strip()
    if key not in _KNOWN_TITLE_KEYS and not value:
        return {}, paragraphs  # e.g. "FADE IN:" opening the script
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    for _number, text in first:
        match = _TITLE_KEY.match(text)
        indented = text[:1] in (" ", "\t")
        if match and not indented:
            current = fields.setdefault(match.group(1).strip().lower(), [])
            if match.group(2).strip():
                current.append(match.group(2).strip())
        elif current is not None:
            current.append(text.strip())
    return {k: "\n".join(v) for k, v in fields.items()}, paragraphs[1:]


# --------------------------------------------------------------------------- body


def parse_cue(text: str) -> tuple[str, tuple[str, ...], bool, bool] | None:
    """Read a character cue: ``(name, extensions, dual, forced)``, or None if it is not one.

    ``AVA (V.O.) (CONT'D) ^`` gives ``("AVA", ("V.O.", "CONT'D"), True, False)``. A cue is in
    capitals (its extensions may not be) unless it is forced with ``@``.
    """
    stripped = text.strip()
    forced = stripped.startswith("@")
    if forced:
        stripped = stripped[1:].strip()
    match = _CUE.match(stripped)
    if match is None:
        return None
    name = " ".join(match.group("name").split())
    if not name or name.endswith(":"):
        return None
    if not forced and (name != name.upper() or not any(c.isalpha() for c in name)):
        return None
    extensions = tuple(e.strip() for e in _EXTENSION.findall(match.group("ext")))
    return name, extensions, match.group("dual") is not None, forced


class _Parser:
    def __init__(self) -> None:
        self.elements: list[Element] = []

    def add(self, kind: ElementType, text: str, line: int, **extra: Any) -> None:
        self.elements.append(Element(kind, text, line, **extra))

    def paragraph(self, lines: list[_Line]) -> None:
        while lines:
            if self._single_line(lines[0], whole=len(lines) == 1):
                lines = lines[1:]
                continue
            self._block(lines)
            return

    def _single_line(self, item: _Line, whole: bool) -> bool:
        """Handle elements that stand on one line; False when the line starts a block."""
        number, text = item
        stripped = text.strip()
        if _PAGE_BREAK.match(stripped):
            self.add(ElementType.PAGE_BREAK, "", number)
        elif stripped.startswith("#"):
            level = len(stripped) - len(stripped.lstrip("#"))
            self.add(ElementType.SECTION, stripped[level:].strip(), number, level=level)
        elif stripped.startswith("=") and not stripped.startswith("=="):
            self.add(ElementType.SYNOPSIS, stripped[1:].strip(), number)
        elif stripped.startswith(".") and not stripped.startswith(".."):
            self._heading(stripped[1:].strip(), number, forced=True)
        elif _HEADING.match(stripped):
            self._heading(stripped, number, forced=False)
        elif stripped.startswith("~"):
            self.add(ElementType.LYRICS, stripped[1:].strip(), number)
        elif stripped.startswith(">") and stripped.endswith("<"):
            self.add(ElementType.CENTERED, stripped[1:-1].strip(), number)
        elif stripped.startswith(">"):
            self.add(ElementType.TRANSITION, stripped[1:].strip(), number, forced=True)
        elif whole and stripped == stripped.upper() and _is_transition(stripped):
            self.add(ElementType.TRANSITION, stripped, number)
        else:
            return False
        return True

    def _heading(self, text: str, number: int, forced: bool) -> None:
        scene_number = None
        match = _SCENE_NUMBER.search(text)
        if match:
            scene_number = match.group(1)
            text = text[: match.start()].rstrip()
        self.add(ElementType.SCENE_HEADING, text, number, forced=forced, scene_number=scene_number)

    def _block(self, lines: list[_Line]) -> None:
        number, first = lines[0]
        cue = parse_cue(first) if not first.lstrip().startswith("!") else None
        if cue is not None and len(lines) > 1:
            self._dialogue(cue, lines)
            return
        if first.lstrip().startswith("!"):
            forced = True
            lines = [(n, t.lstrip()[1:] if t.lstrip().startswith("!") else t) for n, t in lines]
        else:
            forced = False
        self.add(ElementType.ACTION, "\n".join(t for _, t in lines), number, forced=forced)

    def _dialogue(self, cue: tuple[str, tuple[str, ...], bool, bool], lines: list[_Line]) -> None:
        name, extensions, dual, forced = cue
        number = lines[0][0]
        if dual:
            self._mark_previous_cue_dual()
        self.add(
            ElementType.CHARACTER,
            lines[0][1].strip().lstrip("@").rstrip("^").strip(),
            number,
            forced=forced,
            name=name,
            extensions=extensions,
            dual=dual,
        )
        speech: list[str] = []
        speech_line = 0
        for line_number, text in lines[1:]:
            stripped = text.strip()
            if stripped.startswith("(") and stripped.endswith(")"):
                self._flush_speech(speech, speech_line)
                speech = []
                self.add(ElementType.PARENTHETICAL, stripped, line_number)
            else:
                if not speech:
                    speech_line = line_number
                speech.append(stripped)
        self._flush_speech(speech, speech_line)

    def _flush_speech(self, speech: list[str], line: int) -> None:
        if speech:
            self.add(ElementType.DIALOGUE, "\n".join(speech), line)

    def _mark_previous_cue_dual(self) -> None:
        for index in range(len(self.elements) - 1, -1, -1):
            element = self.elements[index]
            if element.type is ElementType.CHARACTER:
                self.elements[index] = replace(element, dual=True)
                return
            if element.type not in (ElementType.DIALOGUE, ElementType.PARENTHETICAL):
                return


def _is_transition(text: str) -> bool:
    return text.endswith("TO:") or bool(_FADES.match(text))


def parse_fountain(text: str, source: str | None = None) -> Screenplay:
    """Parse a Fountain screenplay. `source` names it in error messages.

    Raises `FountainError` for what cannot be a screenplay: binary content, or a boneyard
    comment that is never closed.
    """
    if "\x00" in text:
        raise FountainError("this is not a text file (it contains NUL bytes)", None, source)
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines, notes = _remove_comments(text, source)
    title_page, paragraphs = _title_page(_paragraphs(lines))
    parser = _Parser()
    for paragraph in paragraphs:
        parser.paragraph(paragraph)
    return Screenplay(title_page=title_page, elements=tuple(parser.elements), notes=tuple(notes))
