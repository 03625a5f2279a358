"""Enumerations shared by the manifest, the events and the command line."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AssetCategory",
    "CharacterStage",
    "DocumentType",
    "Framing",
    "LoraTrainingStatus",
    "NarrativeStructure",
    "Quality",
]


class Quality(StrEnum):
    """Render quality tier; each maps to a pipeline configuration."""

    LOW = "low"
    STANDARD = "standard"
    HIGH = "high"


class NarrativeStructure(StrEnum):
    """Narrative structure template a project is built on."""

    THREE_ACT = "three-act"
    HERO_JOURNEY = "hero-journey"
    BEAT_SHEET = "beat-sheet"
    STORY_CIRCLE = "story-circle"


class LoraTrainingStatus(StrEnum):
    """Where a character's LoRA training stands."""

    UNTRAINED = "untrained"
    TRAINING = "training"
    COMPLETED = "completed"
    FAILED = "failed"


class Framing(StrEnum):
    """Camera framing of a shot, from widest to tightest, plus special set-ups."""

    EXTREME_WIDE = "extreme-wide"
    WIDE = "wide"
    FULL = "full"
    MEDIUM_WIDE = "medium-wide"
    MEDIUM = "medium"
    MEDIUM_CLOSE_UP = "medium-close-up"
    CLOSE_UP = "close-up"
    EXTREME_CLOSE_UP = "extreme-close-up"
    TWO_SHOT = "two-shot"
    OVER_THE_SHOULDER = "over-the-shoulder"
    POV = "pov"
    INSERT = "insert"
    AERIAL = "aerial"


class DocumentType(StrEnum):
    """Kinds of creative document a project keeps under 02_Source_Creative."""

    TREATMENT = "treatment"
    SCREENPLAY = "screenplay"
    BEAT_SHEET = "beat-sheet"
    SHOT_LIST = "shot-list"


class AssetCategory(StrEnum):
    """Asset library categories; the value is the manifest key under `assets`."""

    CHARACTERS = "characters"
    LOCATIONS = "locations"
    STYLES = "styles"
    MUSIC = "music"


class CharacterStage(StrEnum):
    """A character's lifecycle, from idea to ready for production renders."""

    CONCEPT = "concept"
    VISUAL_IDENTITY = "visual-identity"
    PRODUCTION_READY = "production-ready"
