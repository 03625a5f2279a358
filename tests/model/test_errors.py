"""Validation errors name each bad field and where it is in the manifest."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from auteur.model import ManifestError, Project, describe_validation_error
from tests.model.samples import manifest_with_content


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as info:
        Project.model_validate(data)
    return describe_validation_error(info.value)


def test_location_names_the_chapter_and_the_field():
    data = manifest_with_content()
    data["narrative"]["chapters"][0]["title"] = 42
    assert problems_of(data) == [
        "narrative.chapters[0].title: Input should be a valid string (got 42)"
    ]


def test_deep_locations_and_camel_case_names():
    data = manifest_with_content()
    shot = data["narrative"]["chapters"][0]["scenes"][0]["shots"][0]
    shot["takes"][0]["recipe"]["seed"] = "lucky"
    shot["activeTake"] = 7
    problems = problems_of(data)
    assert any(
        p.startswith("narrative.chapters[0].scenes[0].shots[0].takes[0].recipe.seed:")
        for p in problems
    )
    assert any(
        p.startswith("narrative.chapters[0].scenes[0].shots[0].activeTake:") for p in problems
    )


def test_missing_fields_and_bad_enums():
    data = manifest_with_content()
    del data["name"]
    data["quality"] = "ultra"
    data["narrative"]["structure"] = "five-act"
    problems = problems_of(data)
    assert "name: Field required" in problems
    assert any(p.startswith("quality:") and "'ultra'" in p for p in problems)
    assert any(p.startswith("narrative.structure:") and "three-act" in p for p in problems)


def test_long_values_are_shortened():
    data = manifest_with_content()
    data["settings"]["fps"] = "x" * 500
    (line,) = problems_of(data)
    assert line.startswith("settings.fps:")
    assert line.endswith("...)") and len(line) < 200


def test_a_top_level_problem_has_a_location():
    with pytest.raises(ValidationError) as info:
        Project.model_validate_json("not json")
    (line,) = describe_validation_error(info.value)
    assert line.startswith("(top level): Invalid JSON")


def test_manifest_error_lists_every_problem():
    error = ManifestError("p/project.json", ["name: Field required", "quality: bad"])
    assert error.problems == ["name: Field required", "quality: bad"]
    assert error.source == "p/project.json"
    assert str(error) == (
        "p/project.json is not a valid Auteur file:\n  - name: Field required\n  - quality: bad"
    )
    assert isinstance(error, ValueError)
