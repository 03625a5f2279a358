"""The studio's editorial panel: screenplay and shot list in; animatic, storyboard, timeline out."""

from __future__ import annotations

from pathlib import Path

import pytest

from auteur.storage import ProjectStore, Workspace
from auteur.ui import Studio
from tests.ui.helpers import wait_for

SAMPLE = Path(__file__).parents[1] / "data" / "sample.fountain"


@pytest.fixture
def studio(workspace: Workspace, project: ProjectStore):
    app = Studio(workspace)
    app.session.open_project(project.path)
    yield app
    app.session.close_project()


def test_importing_a_screenplay_builds_scenes_and_characters(studio: Studio) -> None:
    panel = studio.editorial
    panel.script.filename = SAMPLE.name
    panel.script.value = SAMPLE.read_bytes()
    panel.import_script()
    store = ProjectStore.open(studio.session.store.path)
    assert sum(len(c.scenes) for c in store.project.narrative.chapters) > 0
    assert store.project.assets.characters
    assert any(level == "success" for level, _ in studio.session.messages)
    assert store.git.is_clean()  # the import was committed


def test_a_bad_screenplay_is_refused_with_a_toast(studio: Studio) -> None:
    panel = studio.editorial
    panel.script.filename = "notes.fountain"
    panel.script.value = b"\xff\xfe not text"
    panel.import_script()
    level, message = studio.session.messages[-1]
    assert level == "error"
    assert "not UTF-8" in message


def test_the_shot_list_round_trips(studio: Studio) -> None:
    store = studio.session.store
    store.add_scene("1", "Diner")
    store.add_shot("1/1", "Ava wipes the counter")
    csv = studio.editorial._shot_list_file().getvalue()
    assert b"Ava wipes the counter" in csv
    studio.editorial.shot_list.value = csv.replace(b"Ava wipes the counter", b"Ava waits")
    studio.editorial.import_shot_list()
    assert ProjectStore.open(store.path).locate("1/1/1").shot.description == "Ava waits"


@pytest.mark.parametrize(
    ("kind", "suffix"),
    [("storyboard", ".pdf"), ("timeline", ".otio"), ("animatic", ".mp4")],
)
def test_exports_land_in_the_exports_folder_with_progress(
    studio: Studio, kind: str, suffix: str
) -> None:
    store = studio.session.store
    store.add_scene("1", "Diner")
    store.add_shot("1/1", "Ava wipes the counter", duration=4)
    task = studio.editorial.export(kind, wait=True)
    wait_for(lambda: studio.session.tasks.tasks[task].done, timeout=30)
    info = studio.session.tasks.tasks[task]
    assert info.status == "completed", info.error
    assert info.result["outputPath"].endswith(suffix)
    assert (store.path / info.result["outputPath"]).is_file()
    assert suffix[1:] in studio.editorial.outputs.object
