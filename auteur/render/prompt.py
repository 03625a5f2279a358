"""Composite prompts: one deterministic function turns a shot and its assets into instructions."""

from __future__ import annotations

from typing import TypeVar

from pydantic import Field

from ..model import Character, Framing, Location, Project, Scene, Shot, Style, shot_code
from ..model._base import CamelModel
from ..model.canvas import ShotInputs, prompt_notes

__all__ = [
    "FRAMING_PHRASES",
    "CharacterIdentity",
    "CompositePrompt",
    "ImageReference",
    "LocationContext",
    "LoraReference",
    "PromptError",
    "SceneContext",
    "StyleContext",
    "assemble_prompt",
    "assemble_shot_prompt",
    "character_prompt",
]

#: How each framing reads in a prompt.
FRAMING_PHRASES: dict[Framing, str] = {
    Framing.EXTREME_WIDE: "extreme wide shot",
    Framing.WIDE: "wide shot",
    Framing.FULL: "full shot",
    Framing.MEDIUM_WIDE: "medium wide shot",
    Framing.MEDIUM: "medium shot",
    Framing.MEDIUM_CLOSE_UP: "medium close-up",
    Framing.CLOSE_UP: "close-up",
    Framing.EXTREME_CLOSE_UP: "extreme close-up",
    Framing.TWO_SHOT: "two-shot",
    Framing.OVER_THE_SHOULDER: "over-the-shoulder shot",
    Framing.POV: "point-of-view shot",
    Framing.INSERT: "insert shot",
    Framing.AERIAL: "aerial shot",
}


class PromptError(ValueError):
    """The shot refers to something the project does not have."""


class ImageReference(CamelModel):
    """An image a pipeline may load, and what it is for."""

    path: str = Field(description="Path relative to the project folder.")
    role: str = Field(description="base-face, reference, ip-adapter, location or style.")
    angle: str | None = None


class LoraReference(CamelModel):
    """A LoRA to apply, with its strength and the word that triggers it."""

    path: str
    strength: float
    trigger_word: str = ""


class CharacterIdentity(CamelModel):
    """What keeps a character recognisable from shot to shot."""

    asset_id: str
    name: str
    trigger_word: str = ""
    prompt_fragment: str = ""
    lora: LoraReference | None = None
    base_face: str | None = None
    reference_images: list[ImageReference] = Field(default_factory=list)
    ip_adapter_images: list[str] = Field(default_factory=list)
    ip_adapter_scale: float = 0.6
    seed: int | None = None

    def phrase(self) -> str:
        """The words this character adds to the prompt."""
        parts = [self.trigger_word or self.name, self.prompt_fragment]
        return " ".join(part.strip() for part in parts if part.strip())


class LocationContext(CamelModel):
    asset_id: str
    name: str
    description: str = ""
    reference_images: list[str] = Field(default_factory=list)


class StyleContext(CamelModel):
    asset_id: str
    name: str
    keywords: list[str] = Field(default_factory=list)
    palette: list[str] = Field(default_factory=list)
    reference_images: list[str] = Field(default_factory=list)


class SceneContext(CamelModel):
    scene_id: str
    title: str = ""
    description: str = ""
    emotional_beat: str | None = Field(default=None, description="The beat's name.")
    emotional_beat_description: str = ""


class CompositePrompt(CamelModel):
    """The text prompt and the structured instructions behind it, resources included."""

    text: str
    direct: list[str] = Field(default_factory=list, description="Description and framing.")
    identity: list[str] = Field(default_factory=list, description="Each character's words.")
    aesthetic: list[str] = Field(default_factory=list, description="Style keywords and palette.")
    context: list[str] = Field(default_factory=list, description="Scene and emotional beat.")
    shot_id: str
    shot_code: str
    description: str = ""
    framing: Framing | None = None
    characters: list[CharacterIdentity] = Field(default_factory=list)
    location: LocationContext | None = None
    style: StyleContext | None = None
    scene: SceneContext

    @property
    def loras(self) -> list[LoraReference]:
        """The LoRAs to load, in character order."""
        return [c.lora for c in self.characters if c.lora is not None]

    @property
    def images(self) -> list[ImageReference]:
        """Every image to load, in a stable order."""
        found: list[ImageReference] = []
        for character in self.characters:
            if character.base_face:
                found.append(ImageReference(path=character.base_face, role="base-face"))
            found.extend(character.reference_images)
            found += [
                ImageReference(path=p, role="ip-adapter") for p in character.ip_adapter_images
            ]
        if self.location is not None:
            found += [
                ImageReference(path=p, role="location") for p in self.location.reference_images
            ]
        if self.style is not None:
            found += [ImageReference(path=p, role="style") for p in self.style.reference_images]
        return found

    def resource_paths(self) -> list[str]:
        """Every project file a pipeline may read, each once, in a stable order."""
        paths = [image.path for image in self.images] + [lora.path for lora in self.loras]
        return list(dict.fromkeys(paths))


_Asset = TypeVar("_Asset", Character, Location, Style)


def _find(assets: list[_Asset], asset_id: str, what: str, code: str) -> _Asset:
    for asset in assets:
        if asset.asset_id == asset_id:
            return asset
    raise PromptError(f"shot {code} names {what} {asset_id!r}, which is not in the asset library")


def _identity(character: Character) -> CharacterIdentity:
    lora = None
    if character.lora_model_path:
        lora = LoraReference(
            path=character.lora_model_path,
            strength=character.lora_strength,
            trigger_word=character.trigger_word,
        )
    return CharacterIdentity(
        asset_id=character.asset_id,
        name=character.name,
        trigger_word=character.trigger_word,
        prompt_fragment=character.prompt_fragment,
        lora=lora,
        base_face=character.base_face_image_path,
        reference_images=[
            ImageReference(path=ref.path, role="reference", angle=ref.angle)
            for ref in character.reference_images
        ],
        ip_adapter_images=list(character.ip_adapter_images),
        ip_adapter_scale=character.ip_adapter_scale,
        seed=character.seed,
    )


def _scene_context(project: Project, scene: Scene) -> SceneContext:
    beat = next(
        (b for b in project.narrative.emotional_beats if b.id == scene.emotional_beat), None
    )
    return SceneContext(
        scene_id=scene.id,
        title=scene.title,
        description=scene.description,
        emotional_beat=beat.name if beat else None,
        emotional_beat_description=beat.description if beat else "",
    )


def _clean(parts: list[str]) -> list[str]:
    return [" ".join(part.split()) for part in parts if part and part.strip()]


def assemble_prompt(project: Project, scene: Scene, shot: Shot) -> CompositePrompt:
    """Build the composite prompt of `shot` (in `scene`) from the project's assets.

    The same inputs always give the same prompt: sections come in a fixed order (direct,
    identity, aesthetic, context) and assets in the order the shot lists them. Prompt texts
    wired into the shot's render nodes on the canvas follow its description.
    """
    inputs = ShotInputs(
        characters=list(shot.characters),
        location=shot.location,
        style=shot.style,
        notes=prompt_notes(project.canvas, shot.id),
    )
    return assemble_shot_prompt(project, scene, shot, inputs)


def assemble_shot_prompt(
    project: Project, scene: Scene, shot: Shot, inputs: ShotInputs
) -> CompositePrompt:
    """Build the composite prompt of `shot` from explicit `inputs` (assets and prompt texts)
    instead of the shot's own casting."""
    code = shot_code(scene, shot)
    assets = project.assets
    characters = [
        _identity(_find(assets.characters, ref, "character", code)) for ref in inputs.characters
    ]
    location = (
        _find(assets.locations, inputs.location, "location", code) if inputs.location else None
    )
    style = _find(assets.styles, inputs.style, "style", code) if inputs.style else None
    scene_context = _scene_context(project, scene)

    framing = FRAMING_PHRASES.get(shot.framing) if shot.framing else None
    direct = _clean([shot.description, *inputs.notes, framing or ""])
    identity = _clean([c.phrase() for c in characters])
    aesthetic: list[str] = []
    if style is not None:
        aesthetic = _clean(list(style.keywords))
        if style.palette:
            aesthetic.append("colour palette " + " ".join(style.palette))
    context = _clean(
        [
            f"at {location.name}" + (f", {location.description}" if location.description else "")
            if location
            else "",
            scene_context.title,
            scene_context.description,
            f"mood: {scene_context.emotional_beat}" if scene_context.emotional_beat else "",
            scene_context.emotional_beat_description,
        ]
    )
    text = ". ".join(
        ", ".join(section) for section in (direct, identity, aesthetic, context) if section
    )
    return CompositePrompt(
        text=text,
        direct=direct,
        identity=identity,
        aesthetic=aesthetic,
        context=context,
        shot_id=shot.id,
        shot_code=code,
        description=shot.description,
        framing=shot.framing,
        characters=characters,
        location=(
            LocationContext(
                asset_id=location.asset_id,
                name=location.name,
                description=location.description,
                reference_images=list(location.reference_images),
            )
            if location
            else None
        ),
        style=(
            StyleContext(
                asset_id=style.asset_id,
                name=style.name,
                keywords=list(style.keywords),
                palette=list(style.palette),
                reference_images=list(style.reference_images),
            )
            if style
            else None
        ),
        scene=scene_context,
    )


def character_prompt(character: Character, kind: str = "face", name: str = "") -> CompositePrompt:
    """The prompt of a picture of `character` alone: its base face (`kind` ``face``), or a
    variation such as an expression (``expression``, ``happy``) or a pose."""
    identity = _identity(character)
    if kind == "face":
        direct = ["portrait, front view, neutral expression, plain background"]
    else:
        direct = _clean([f"{name} {kind}".strip(), "plain background"])
    words = _clean([identity.phrase(), character.description])
    text = ". ".join(", ".join(section) for section in (direct, words) if section)
    label = "base face" if kind == "face" else f"{kind} {name}".strip()
    return CompositePrompt(
        text=text,
        direct=direct,
        identity=words,
        shot_id=character.asset_id,
        shot_code=f"{character.name}: {label}",
        description=character.description,
        characters=[identity],
        scene=SceneContext(scene_id=character.asset_id, title=character.name),
    )
