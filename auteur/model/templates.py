"""Narrative structure templates: the chapters and emotional beats a new project starts with."""

from __future__ import annotations

from importlib import resources

from pydantic import Field

from ._base import CamelModel
from .enums import NarrativeStructure
from .project import Chapter, EmotionalBeat

__all__ = [
    "NarrativeTemplate",
    "TemplateBeat",
    "TemplateChapter",
    "builtin_template",
    "builtin_template_bytes",
]


class TemplateChapter(CamelModel):
    stage: str
    title: str
    description: str = ""


class TemplateBeat(CamelModel):
    stage: str
    name: str
    description: str = ""
    chapter: int | None = None
    position: float | None = Field(default=None, ge=0, le=1)


class NarrativeTemplate(CamelModel):
    """A narrative structure as data: its chapters and its emotional beats."""

    structure: NarrativeStructure
    name: str
    description: str = ""
    chapters: list[TemplateChapter]
    emotional_beats: list[TemplateBeat] = Field(default_factory=list)

    def make_chapters(self) -> list[Chapter]:
        """Return fresh, numbered chapters for a new project."""
        return [
            Chapter(number=i, title=c.title, description=c.description, template_stage=c.stage)
            for i, c in enumerate(self.chapters, start=1)
        ]

    def make_beats(self) -> list[EmotionalBeat]:
        """Return fresh emotional beats for a new project."""
        return [
            EmotionalBeat(
                name=b.name,
                description=b.description,
                chapter=b.chapter,
                position=b.position,
                template_stage=b.stage,
            )
            for b in self.emotional_beats
        ]

    def chapter_for_stage(self, stage: str) -> TemplateChapter | None:
        return next((c for c in self.chapters if c.stage == stage), None)


def builtin_template_bytes(structure: NarrativeStructure | str) -> bytes:
    """Return the JSON of the template shipped with the package for `structure`."""
    name = f"{NarrativeStructure(structure).value}.json"
    return resources.files(__package__).joinpath("templates", name).read_bytes()


def builtin_template(structure: NarrativeStructure | str) -> NarrativeTemplate:
    """Return the template shipped with the package for `structure`."""
    return NarrativeTemplate.model_validate_json(builtin_template_bytes(structure))
