"""The project manifest (`project.json`) and the Chapter → Scene → Shot → Take hierarchy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, field_serializer, field_validator

from ._base import CamelModel
from .enums import (
    CharacterStage,
    DocumentType,
    Framing,
    LoraTrainingStatus,
    NarrativeStructure,
    Quality,
)

__all__ = [
    "SCHEMA_VERSION",
    "Asset",
    "AssetFile",
    "Assets",
    "Canvas",
    "Chapter",
    "Character",
    "CreativeDocument",
    "DialogueLine",
    "EmotionalBeat",
    "Location",
    "Music",
    "Narrative",
    "Project",
    "ProjectSettings",
    "Recipe",
    "ReferenceImage",
    "Scene",
    "ScriptRef",
    "Shot",
    "Style",
    "Take",
    "new_id",
    "utcnow",
]

#: The manifest schema this version of Auteur writes.
SCHEMA_VERSION = 1


def new_id(prefix: str) -> str:
    """Return a new stable id such as ``shot-1f2e3d4c5b6a``."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def utcnow() -> datetime:
    """Return the current time in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


class Recipe(CamelModel):
    """Everything needed to re-run the render that made a take."""

    pipeline_id: str = ""
    quality: Quality | None = None
    prompt: str = Field(default="", description="The composite prompt's text.")
    composite_prompt: dict[str, Any] = Field(
        default_factory=dict, description="The structured composite prompt, resources included."
    )
    seed: int | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    source_assets: dict[str, str] = Field(
        default_factory=dict, description="Project-relative path of each input → its sha256."
    )
    generated_at: datetime | None = None


class Take(CamelModel):
    """One render of a shot. Takes are never overwritten."""

    id: str = Field(default_factory=lambda: new_id("take"))
    number: int = Field(ge=1)
    path: str = Field(description="File path relative to the project folder, with / separators.")
    created: datetime = Field(default_factory=utcnow)
    recipe: Recipe = Field(default_factory=Recipe)
    rejected: bool = False
    sha256: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict, description="Width, height, format...")


class ScriptRef(CamelModel):
    """Where an item came from in the imported screenplay, so a re-import finds it again."""

    key: str = Field(description="Stable key derived from the script (heading, act, ordinal).")
    index: int = Field(default=1, ge=1, description="Its place in the script, from 1.")
    line: int | None = Field(default=None, ge=1, description="Line of the script it starts on.")
    drafted: dict[str, Any] = Field(
        default_factory=dict,
        description="The values the import last wrote; a field the user has changed since is "
        "left alone by the next import.",
    )


class DialogueLine(CamelModel):
    """A speech of a shot, as the screenplay has it."""

    speaker: str = Field(description="The character's name as the project shows it, e.g. Ava.")
    character: str | None = Field(default=None, description="Character asset id.")
    extensions: list[str] = Field(default_factory=list, description="V.O., O.S., CONT'D...")
    parenthetical: str = ""
    text: str = ""
    dual: bool = Field(default=False, description="Spoken at the same time as its neighbour.")


class Shot(CamelModel):
    """A single camera set-up within a scene."""

    id: str = Field(default_factory=lambda: new_id("shot"))
    number: int = Field(default=1, ge=1)
    title: str = ""
    description: str = ""
    framing: Framing | None = None
    duration: int = Field(default=48, ge=1, description="Length in frames at the project fps.")
    characters: list[str] = Field(default_factory=list, description="Character asset ids.")
    location: str | None = Field(default=None, description="Location asset id.")
    style: str | None = Field(default=None, description="Style asset id.")
    quality: Quality | None = Field(default=None, description="Overrides the project quality.")
    active_take: str | None = Field(default=None, description="Id of the active take.")
    takes: list[Take] = Field(default_factory=list)
    source_text: str = Field(default="", description="The screenplay passage the shot covers.")
    dialogue: list[DialogueLine] = Field(default_factory=list)
    script: ScriptRef | None = Field(default=None, description="Set when made by a script import.")

    @field_serializer("takes", mode="wrap")
    def _read_takes_first(self, takes: list[Take], handler: SerializerFunctionWrapHandler) -> Any:
        # The storage layer reads a shot's takes on first use (a list that fills itself), and
        # serialising reads a list in C: ``list()`` reads its items first.
        return handler(list(takes))


class Scene(CamelModel):
    """A scene within a chapter. Its shots are stored in a file of their own."""

    id: str = Field(default_factory=lambda: new_id("scene"))
    number: int = Field(default=1, ge=1)
    title: str = ""
    description: str = ""
    emotional_beat: str | None = Field(default=None, description="Id of an emotional beat.")
    heading: str = Field(default="", description="The screenplay's scene heading.")
    int_ext: str | None = Field(default=None, description="INT, EXT, INT/EXT or EST.")
    time_of_day: str | None = Field(default=None, description="DAY, NIGHT, CONTINUOUS...")
    script: ScriptRef | None = Field(default=None, description="Set when made by a script import.")
    shots: list[Shot] = Field(default_factory=list)


class Chapter(CamelModel):
    """A chapter (an act or a stage of the narrative structure)."""

    id: str = Field(default_factory=lambda: new_id("chapter"))
    number: int = Field(default=1, ge=1)
    title: str = ""
    description: str = ""
    template_stage: str | None = Field(
        default=None, description="Key of the narrative template stage this chapter came from."
    )
    script: ScriptRef | None = Field(default=None, description="The act of the script it holds.")
    scenes: list[Scene] = Field(default_factory=list)


class EmotionalBeat(CamelModel):
    """A point on the story's emotional arc."""

    id: str = Field(default_factory=lambda: new_id("beat"))
    name: str = ""
    description: str = ""
    chapter: int | None = Field(default=None, description="Number of the chapter it falls in.")
    position: float | None = Field(default=None, ge=0, le=1, description="Place in the story.")
    template_stage: str | None = None


class Narrative(CamelModel):
    """The narrative structure and the chapters built on it."""

    structure: NarrativeStructure = NarrativeStructure.THREE_ACT
    chapters: list[Chapter] = Field(default_factory=list)
    emotional_beats: list[EmotionalBeat] = Field(default_factory=list)


class AssetFile(CamelModel):
    """A file imported into an asset's folder, with what was learned from its content."""

    path: str = Field(description="File path relative to the project folder.")
    kind: Literal["image", "audio", "video", "model", "other"]
    format: str = Field(default="", description="Container or image format, e.g. PNG, mp3.")
    sha256: str
    size: int = Field(ge=0, description="Bytes.")
    width: int | None = None
    height: int | None = None
    duration: float | None = Field(default=None, description="Seconds, for audio and video.")
    label: str = Field(default="", description="Angle of a reference, name of a variation...")
    thumbnail: str | None = Field(default=None, description="Thumbnail path under 05_Cache.")
    added: datetime = Field(default_factory=utcnow)


class ReferenceImage(CamelModel):
    """A reference image labelled with the angle it shows."""

    path: str
    angle: str = Field(default="front", description="front, left, right, back, three-quarter...")


class Asset(CamelModel):
    """Fields every asset of the library shares."""

    asset_id: str = Field(default_factory=lambda: new_id("asset"))
    asset_type: str = "Asset"
    name: str = ""
    description: str = ""
    folder: str | None = Field(default=None, description="01_Assets/<Category>/<slug>.")
    files: list[AssetFile] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    usage: list[str] = Field(default_factory=list, description="Ids of the shots using it.")


class Character(Asset):
    """A character, with what identity-preserving generation needs."""

    asset_id: str = Field(default_factory=lambda: new_id("char"))
    asset_type: str = "Character"
    trigger_word: str = ""
    prompt_fragment: str = Field(default="", description="Words added to every prompt using it.")
    base_face_image_path: str | None = None
    lora_model_path: str | None = None
    lora_strength: float = Field(default=0.8, ge=0, le=2)
    lora_training_status: LoraTrainingStatus = LoraTrainingStatus.UNTRAINED
    variations: dict[str, str] = Field(default_factory=dict)
    reference_images: list[ReferenceImage] = Field(default_factory=list)
    ip_adapter_images: list[str] = Field(default_factory=list)
    ip_adapter_scale: float = Field(default=0.6, ge=0, le=1)
    seed: int | None = None
    voice_id: str | None = None
    stage: CharacterStage = CharacterStage.CONCEPT


class Location(Asset):
    """A place where scenes happen."""

    asset_id: str = Field(default_factory=lambda: new_id("loc"))
    asset_type: str = "Location"
    reference_images: list[str] = Field(default_factory=list)


class Style(Asset):
    """A visual style: keywords and a palette."""

    asset_id: str = Field(default_factory=lambda: new_id("style"))
    asset_type: str = "Style"
    keywords: list[str] = Field(default_factory=list)
    palette: list[str] = Field(default_factory=list, description="Colours as #rrggbb.")
    reference_images: list[str] = Field(default_factory=list)


class Music(Asset):
    """A music track."""

    asset_id: str = Field(default_factory=lambda: new_id("music"))
    asset_type: str = "Music"
    duration: float | None = Field(default=None, description="Seconds of the main track.")
    bpm: float | None = Field(default=None, gt=0)


class Assets(CamelModel):
    """The project's asset library, by category."""

    characters: list[Character] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)
    styles: list[Style] = Field(default_factory=list)
    music: list[Music] = Field(default_factory=list)


class Canvas(CamelModel):
    """The production canvas node graph."""

    nodes: list[dict[str, Any]] = Field(default_factory=list)
    edges: list[dict[str, Any]] = Field(default_factory=list)
    viewport: dict[str, Any] = Field(default_factory=dict)


class ProjectSettings(CamelModel):
    """Per-project output settings."""

    fps: int = Field(default=24, ge=1, le=240)
    resolution: tuple[int, int] = (1920, 1080)
    aspect_ratio: str = "16:9"

    @field_validator("resolution")
    @classmethod
    def _positive_resolution(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] < 1 or value[1] < 1:
            raise ValueError("width and height must be positive")
        return value


class CreativeDocument(CamelModel):
    """A creative document file registered in the manifest."""

    id: str = Field(default_factory=lambda: new_id("doc"))
    type: DocumentType
    title: str
    path: str = Field(description="File path relative to the project folder.")
    created: datetime = Field(default_factory=utcnow)
    modified: datetime = Field(default_factory=utcnow)


class Project(CamelModel):
    """The whole project: what `project.json` holds, with every scene's shots loaded."""

    schema_version: int = SCHEMA_VERSION
    id: str = Field(default_factory=lambda: new_id("project"))
    name: str
    created: datetime = Field(default_factory=utcnow)
    quality: Quality = Quality.STANDARD
    narrative: Narrative = Field(default_factory=Narrative)
    assets: Assets = Field(default_factory=Assets)
    canvas: Canvas = Field(default_factory=Canvas)
    settings: ProjectSettings = Field(default_factory=ProjectSettings)
    documents: list[CreativeDocument] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the project name must not be empty")
        return value
