"""The manifest schema: the seed manifest, camelCase on disk, unknown fields, migrations."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from pydantic.alias_generators import to_camel

from auteur.model import (
    SCHEMA_VERSION,
    AssetFile,
    Assets,
    Canvas,
    Chapter,
    Character,
    CreativeDocument,
    EmotionalBeat,
    Framing,
    Location,
    LoraTrainingStatus,
    Music,
    Narrative,
    NarrativeStructure,
    Project,
    ProjectSettings,
    Quality,
    Recipe,
    ReferenceImage,
    Scene,
    SchemaVersionError,
    Shot,
    Style,
    Take,
    migrate_manifest,
)
from tests.model.samples import SEED_MANIFEST, assert_contains, manifest_with_content

#: Every model written to disk.
MODELS: list[type[BaseModel]] = [
    Project,
    Narrative,
    Chapter,
    Scene,
    Shot,
    Take,
    Recipe,
    EmotionalBeat,
    Assets,
    Character,
    Location,
    Style,
    Music,
    AssetFile,
    ReferenceImage,
    Canvas,
    ProjectSettings,
    CreativeDocument,
]


# ---------------------------------------------------------------- the seed manifest


def test_seed_manifest_loads_unchanged():
    project = Project.model_validate_json(SEED_MANIFEST)
    assert project.id == "unique-project-id"
    assert project.name == "My Film Project"
    assert project.created.isoformat() == "2025-01-02T10:00:00+00:00"
    assert project.quality is Quality.STANDARD
    assert project.narrative.structure is NarrativeStructure.THREE_ACT
    character = project.assets.characters[0]
    assert character.trigger_word == "charnamev1"
    assert character.lora_training_status is LoraTrainingStatus.COMPLETED
    assert character.variations["expression_happy"].endswith("expression_happy.png")
    assert character.usage == ["shot-001", "shot-005"]
    assert project.settings.resolution == (1920, 1080)
    assert project.settings.aspect_ratio == "16:9"


def test_seed_manifest_written_back_loses_nothing():
    original = json.loads(SEED_MANIFEST)
    written = Project.model_validate(copy.deepcopy(original)).to_data()
    assert_contains(written, original)
    assert written["schemaVersion"] == SCHEMA_VERSION
    # Only defaults were added: written again, the file is stable.
    assert Project.model_validate(written).to_data() == written


def test_seed_manifest_migrates_through_the_manifest_path():
    data = migrate_manifest(json.loads(SEED_MANIFEST))
    assert data["schemaVersion"] == SCHEMA_VERSION
    assert_contains(Project.model_validate(data).to_data(), json.loads(SEED_MANIFEST))


# ---------------------------------------------------------------- camelCase and snake_case


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_is_camel_case_on_disk(model: type[BaseModel]):
    for name, field in model.model_fields.items():
        assert name == name.lower(), f"{model.__name__}.{name} is not snake_case"
        assert field.alias == to_camel(name), f"{model.__name__}.{name}"


def test_dump_uses_camel_case_and_python_uses_snake_case():
    project = Project.model_validate(manifest_with_content())
    shot = project.narrative.chapters[0].scenes[0].shots[0]
    shot.active_take = "take-1"
    data = project.to_data()
    assert data["narrative"]["emotionalBeats"] == []
    written_shot = data["narrative"]["chapters"][0]["scenes"][0]["shots"][0]
    assert written_shot["activeTake"] == "take-1"
    assert "active_take" not in written_shot
    assert written_shot["takes"][0]["recipe"]["pipelineId"] == "sdxl"
    assert data["assets"]["characters"][0]["loraTrainingStatus"] == "completed"
    assert data["settings"]["aspectRatio"] == "16:9"


def test_snake_case_names_are_accepted_in_python():
    shot = Shot(description="x", active_take=None, framing="close-up")
    assert shot.framing is Framing.CLOSE_UP
    recipe = Recipe(pipeline_id="p", composite_prompt={"positive": "a"})
    assert recipe.to_data()["pipelineId"] == "p"


# ---------------------------------------------------------------- unknown fields


#: Where an unknown field is planted: a path of keys and list indexes into the manifest.
UNKNOWN_FIELD_PLACES = [
    (),  # top level
    ("narrative",),
    ("narrative", "chapters", 0),
    ("narrative", "chapters", 0, "scenes", 0),
    ("narrative", "chapters", 0, "scenes", 0, "shots", 0),
    ("narrative", "chapters", 0, "scenes", 0, "shots", 0, "takes", 0),
    ("narrative", "chapters", 0, "scenes", 0, "shots", 0, "takes", 0, "recipe"),
    ("assets",),
    ("assets", "characters", 0),
    ("canvas",),
    ("settings",),
]


def _dig(data: Any, path: tuple) -> Any:
    for key in path:
        data = data[key]
    return data


@pytest.mark.parametrize("path", UNKNOWN_FIELD_PLACES, ids=lambda p: "/".join(map(str, p)))
def test_unknown_fields_survive_load_and_save(path: tuple):
    data = manifest_with_content()
    _dig(data, path)["futureField"] = {"nested": [1, "two", None], "flag": True}
    _dig(data, path)["snake_extra"] = 3.5
    written = Project.model_validate_json(json.dumps(data)).to_data()
    assert _dig(written, path)["futureField"] == {"nested": [1, "two", None], "flag": True}
    assert _dig(written, path)["snake_extra"] == 3.5


def test_unknown_fields_survive_in_every_asset_kind():
    data = json.loads(SEED_MANIFEST)
    data["assets"]["locations"] = [{"assetId": "loc-1", "name": "Roof", "gps": [1.5, 2.5]}]
    data["assets"]["styles"] = [{"assetId": "style-1", "name": "Noir", "lut": "noir.cube"}]
    data["assets"]["music"] = [{"assetId": "music-1", "name": "Theme", "composer": "Me"}]
    data["narrative"]["emotionalBeats"] = [{"id": "beat-1", "name": "Hope", "intensity": 0.7}]
    data["documents"] = [
        {"id": "doc-1", "type": "treatment", "title": "T", "path": "x.md", "wordCount": 12}
    ]
    written = Project.model_validate(data).to_data()
    assert written["assets"]["locations"][0]["gps"] == [1.5, 2.5]
    assert written["assets"]["styles"][0]["lut"] == "noir.cube"
    assert written["assets"]["music"][0]["composer"] == "Me"
    assert written["narrative"]["emotionalBeats"][0]["intensity"] == 0.7
    assert written["documents"][0]["wordCount"] == 12


# ---------------------------------------------------------------- hierarchy and fields


def test_shot_holds_what_the_issue_lists():
    shot = Shot(
        description="She looks up",
        framing=Framing.CLOSE_UP,
        duration=72,
        characters=["char-1"],
        location="loc-1",
        style="style-1",
        active_take="take-1",
    )
    data = shot.to_data()
    for key in ("id", "number", "title", "description", "framing", "duration", "characters"):
        assert key in data
    assert data["location"] == "loc-1" and data["style"] == "style-1"
    assert data["activeTake"] == "take-1"
    assert data["duration"] == 72


def test_take_holds_number_path_time_and_recipe():
    take = Take(
        number=3,
        path="03_Renders/s/take_003.png",
        recipe=Recipe(pipeline_id="flux", quality="low", prompt="p", seed=42, parameters={"s": 4}),
    )
    data = take.to_data()
    assert data["number"] == 3 and data["path"].endswith("take_003.png")
    assert data["created"].endswith("Z")
    assert {k: data["recipe"][k] for k in ("pipelineId", "quality", "prompt", "seed")} == {
        "pipelineId": "flux",
        "quality": "low",
        "prompt": "p",
        "seed": 42,
    }
    assert data["recipe"]["parameters"] == {"s": 4}


def test_every_level_has_a_stable_id_number_title_and_description():
    for model in (Chapter, Scene, Shot):
        first, second = model(), model()
        assert first.id != second.id
        assert first.id.startswith(model.__name__.lower())
        assert first.number == 1 and first.title == "" and first.description == ""
        copy_ = model.model_validate(first.to_data())
        assert copy_.id == first.id


@pytest.mark.parametrize(
    ("model", "data", "where"),
    [
        (Take, {"number": 0, "path": "x"}, "number"),  # numbers start at 1
        (Take, {"number": 1}, "path"),  # a take needs its file
        (Shot, {"duration": 0}, "duration"),  # at least one frame
        (Shot, {"framing": "dutch-tilt"}, "framing"),  # not a framing
        (ProjectSettings, {"resolution": [0, 1080]}, "resolution"),
        (ProjectSettings, {"fps": 0}, "fps"),
        (Project, {"name": "   "}, "name"),  # blank names are refused
        (Project, {"name": "x", "quality": "ultra"}, "quality"),
        (Character, {"loraTrainingStatus": "halfway"}, "loraTrainingStatus"),
    ],
)
def test_bad_values_are_refused(model: type[BaseModel], data: dict, where: str):
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    assert where in {str(e["loc"][0]) for e in info.value.errors()}


def test_enums_have_the_issue_values():
    assert [q.value for q in Quality] == ["low", "standard", "high"]
    assert [s.value for s in NarrativeStructure] == [
        "three-act",
        "hero-journey",
        "beat-sheet",
        "story-circle",
    ]
    project = Project(name="x", quality="high")
    assert project.quality is Quality.HIGH
    assert project.to_data()["quality"] == "high"


def test_assignment_is_validated():
    shot = Shot()
    with pytest.raises(ValidationError):
        shot.duration = -5


# ---------------------------------------------------------------- schema versions


def test_manifest_without_schema_version_is_migrated():
    data = {"id": "old", "name": "Old Film", "quality": "low"}  # the oldest manifests
    migrated = migrate_manifest(data)
    project = Project.model_validate(migrated)
    assert project.schema_version == SCHEMA_VERSION
    assert project.narrative.chapters == []
    assert project.canvas.nodes == [] and project.canvas.viewport == {}
    assert project.to_data()["schemaVersion"] == SCHEMA_VERSION


def test_current_schema_version_is_left_alone():
    data = json.loads(SEED_MANIFEST) | {"schemaVersion": SCHEMA_VERSION}
    assert migrate_manifest(copy.deepcopy(data)) == data


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (SCHEMA_VERSION + 1, "newer Auteur"),  # written by a later release
        (-1, "whole number"),
        ("1", "whole number"),  # a string is not a version
        (True, "whole number"),  # nor is a boolean
        (1.5, "whole number"),
    ],
)
def test_unreadable_schema_versions_are_refused_clearly(version: Any, message: str):
    with pytest.raises(SchemaVersionError, match=message) as info:
        migrate_manifest({"name": "x", "schemaVersion": version})
    assert "schemaVersion" in str(info.value)


def test_a_manifest_must_be_an_object():
    with pytest.raises(SchemaVersionError, match="JSON object"):
        migrate_manifest([])  # type: ignore[arg-type]
