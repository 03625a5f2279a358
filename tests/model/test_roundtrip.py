"""Property tests: any project, with any unknown fields, survives a dump and a parse."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from auteur.model import SCHEMA_VERSION, Project
from tests.model.samples import assert_contains
from tests.model.strategies import PROJECTS

SETTINGS = settings(
    max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(PROJECTS)
def test_json_round_trip_keeps_every_field(data: dict[str, Any]):
    project = Project.model_validate(data)
    text = project.model_dump_json(by_alias=True)
    again = Project.model_validate_json(text)
    assert again == project
    assert again.to_data() == project.to_data()
    written = again.to_data()
    assert_contains(written, data)  # nothing given was lost, unknown fields included
    assert written["schemaVersion"] == SCHEMA_VERSION


@SETTINGS
@given(PROJECTS)
def test_python_names_and_disk_names_agree(data: dict[str, Any]):
    project = Project.model_validate(data)
    for chapter_data, chapter in zip(
        data["narrative"]["chapters"], project.narrative.chapters, strict=True
    ):
        for scene_data, scene in zip(chapter_data["scenes"], chapter.scenes, strict=True):
            for shot_data, shot in zip(scene_data["shots"], scene.shots, strict=True):
                assert shot.active_take == shot_data["activeTake"]
                assert [t.id for t in shot.takes] == [t["id"] for t in shot_data["takes"]]
                for take_data, take in zip(shot_data["takes"], shot.takes, strict=True):
                    assert take.recipe.pipeline_id == take_data["recipe"]["pipelineId"]
