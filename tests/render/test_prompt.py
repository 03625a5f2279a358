"""The composite prompt assembler: one deterministic function, no IO."""

from __future__ import annotations

import pytest

from auteur.model import (
    Character,
    EmotionalBeat,
    Framing,
    Location,
    Project,
    ReferenceImage,
    Scene,
    Shot,
    Style,
)
from auteur.render import PromptError, assemble_prompt


def build(**shot_fields: object) -> tuple[Project, Scene, Shot]:
    project = Project(name="Harbour")
    project.narrative.emotional_beats.append(
        EmotionalBeat(id="beat-dread", name="Dread", description="something is wrong")
    )
    project.assets.characters += [
        Character(
            asset_id="char-anna",
            name="Anna",
            trigger_word="anna_v1",
            prompt_fragment="red coat,  short hair",
            base_face_image_path="01_Assets/Characters/anna/base_face.png",
            lora_model_path="01_Assets/Characters/anna/lora/anna.safetensors",
            lora_strength=0.75,
            reference_images=[
                ReferenceImage(path="01_Assets/Characters/anna/left.png", angle="left")
            ],
            ip_adapter_images=["01_Assets/Characters/anna/ip.png"],
            ip_adapter_scale=0.4,
            seed=42,
        ),
        Character(asset_id="char-ben", name="Ben"),
    ]
    project.assets.locations.append(
        Location(
            asset_id="loc-harbour",
            name="Harbour",
            description="fog over the cranes",
            reference_images=["01_Assets/Locations/harbour/dawn.png"],
        )
    )
    project.assets.styles.append(
        Style(
            asset_id="style-noir",
            name="Noir",
            keywords=["film noir", "hard shadows"],
            palette=["#102030", "#c0a080"],
            reference_images=["01_Assets/Styles/noir/frame.png"],
        )
    )
    scene = Scene(
        number=2, title="Dawn", description="the ferry leaves", emotional_beat="beat-dread"
    )
    fields = {
        "number": 3,
        "description": "Anna meets Ben on the pier",
        "framing": Framing.MEDIUM,
        "characters": ["char-anna", "char-ben"],
        "location": "loc-harbour",
        "style": "style-noir",
    }
    shot = Shot(**{**fields, **shot_fields})
    scene.shots.append(shot)
    return project, scene, shot


def test_sections_read_in_order_direct_identity_aesthetic_context():
    prompt = assemble_prompt(*build())
    assert prompt.direct == ["Anna meets Ben on the pier", "medium shot"]
    assert prompt.identity == ["anna_v1 red coat, short hair", "Ben"]
    assert prompt.aesthetic == ["film noir", "hard shadows", "colour palette #102030 #c0a080"]
    assert prompt.context == [
        "at Harbour, fog over the cranes",
        "Dawn",
        "the ferry leaves",
        "mood: Dread",
        "something is wrong",
    ]
    assert prompt.text == (
        "Anna meets Ben on the pier, medium shot. anna_v1 red coat, short hair, Ben. "
        "film noir, hard shadows, colour palette #102030 #c0a080. at Harbour, fog over the "
        "cranes, Dawn, the ferry leaves, mood: Dread, something is wrong"
    )
    assert prompt.shot_code == "S02_S03"


def test_identity_carries_loras_with_strengths_and_reference_images():
    prompt = assemble_prompt(*build())
    anna = prompt.characters[0]
    assert anna.lora is not None
    assert (anna.lora.path, anna.lora.strength, anna.lora.trigger_word) == (
        "01_Assets/Characters/anna/lora/anna.safetensors",
        0.75,
        "anna_v1",
    )
    assert [lora.path for lora in prompt.loras] == [anna.lora.path]  # Ben has none
    assert anna.seed == 42 and anna.ip_adapter_scale == 0.4
    assert [(i.role, i.path) for i in prompt.images] == [
        ("base-face", "01_Assets/Characters/anna/base_face.png"),
        ("reference", "01_Assets/Characters/anna/left.png"),
        ("ip-adapter", "01_Assets/Characters/anna/ip.png"),
        ("location", "01_Assets/Locations/harbour/dawn.png"),
        ("style", "01_Assets/Styles/noir/frame.png"),
    ]
    assert prompt.images[1].angle == "left"
    assert prompt.resource_paths()[-1] == "01_Assets/Characters/anna/lora/anna.safetensors"
    assert len(prompt.resource_paths()) == len(set(prompt.resource_paths())) == 6


def test_the_same_inputs_give_the_same_prompt():
    project, scene, shot = build()
    first = assemble_prompt(project, scene, shot)
    copies = project.model_copy(deep=True), scene.model_copy(deep=True), shot.model_copy(deep=True)
    assert assemble_prompt(*copies).to_data() == first.to_data()
    assert assemble_prompt(project, scene, shot).text == first.text


def test_character_order_follows_the_shot():
    prompt = assemble_prompt(*build(characters=["char-ben", "char-anna"]))
    assert prompt.identity == ["Ben", "anna_v1 red coat, short hair"]


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        # a bare shot: its description alone, plus the scene's context
        (
            {"characters": [], "location": None, "style": None, "framing": None},
            "Anna meets Ben on the pier. Dawn, the ferry leaves, mood: Dread, something is wrong",
        ),
        # framing only
        (
            {"description": "", "characters": [], "location": None, "style": None},
            "medium shot. Dawn, the ferry leaves, mood: Dread, something is wrong",
        ),
        # special framings read as words
        (
            {
                "description": "",
                "characters": [],
                "location": None,
                "style": None,
                "framing": Framing.POV,
            },
            "point-of-view shot. Dawn, the ferry leaves, mood: Dread, something is wrong",
        ),
    ],
)
def test_missing_parts_leave_no_empty_sections(fields: dict, text: str):
    assert assemble_prompt(*build(**fields)).text == text


def test_a_shot_naming_an_unknown_asset_is_refused():
    with pytest.raises(PromptError, match="S02_S03 names character 'char-zoe'"):
        assemble_prompt(*build(characters=["char-zoe"]))
    with pytest.raises(PromptError, match="location 'loc-moon'"):
        assemble_prompt(*build(location="loc-moon"))
