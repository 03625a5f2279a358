"""Project files on disk: hand-edited manifests, scene files, atomic writes and leftovers."""

from __future__ import annotations

import json
import os
import pickle
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from auteur.model import ManifestError, Project, Scene, Shot, Take
from auteur.storage import (
    PROJECT_FILE,
    SCENES_DIR,
    ProjectStore,
    atomic_write,
    validate_project,
)
from auteur.storage._lazy import LazyList
from auteur.storage.manifest import (
    dump_manifest,
    dump_scene,
    parse_manifest,
    parse_scene,
    read_scene_shots,
    read_scene_takes,
)
from tests.model.samples import SEED_MANIFEST, assert_contains
from tests.model.strategies import PROJECTS

pytestmark = pytest.mark.git


def manifest_of(store: ProjectStore) -> dict[str, Any]:
    return json.loads((store.path / PROJECT_FILE).read_text(encoding="utf-8"))


def write_manifest(store: ProjectStore, data: dict[str, Any] | str) -> None:
    text = data if isinstance(data, str) else json.dumps(data)
    (store.path / PROJECT_FILE).write_text(text, encoding="utf-8")


def scene_path(store: ProjectStore, scene_id: str) -> Path:
    return store.path / SCENES_DIR / f"{scene_id}.json"


# ---------------------------------------------------------------- hand-edited manifests


def _wrong_type(data: dict) -> None:
    data["settings"]["fps"] = "fast"


def _bad_enum(data: dict) -> None:
    data["quality"] = "ultra"


def _missing_name(data: dict) -> None:
    del data["name"]


def _bad_chapter(data: dict) -> None:
    data["narrative"]["chapters"][1]["title"] = ["not", "text"]


def _bad_structure(data: dict) -> None:
    data["narrative"]["structure"] = "five-act"


def _newer_schema(data: dict) -> None:
    data["schemaVersion"] = 99


def _bad_beat(data: dict) -> None:
    data["narrative"]["emotionalBeats"][0]["position"] = 7


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (_wrong_type, "settings.fps: Input should be a valid integer"),
        (_bad_enum, "quality: Input should be 'low', 'standard' or 'high'"),
        (_missing_name, "name: Field required"),
        (_bad_chapter, "narrative.chapters[1].title: Input should be a valid string"),
        (_bad_structure, "narrative.structure: Input should be 'three-act'"),
        (_newer_schema, "schemaVersion: 99 was written by a newer Auteur"),
        (_bad_beat, "narrative.emotionalBeats[0].position: Input should be less than"),
    ],
)
def test_a_hand_edited_manifest_names_the_bad_field(project: ProjectStore, spoil, expected: str):
    data = manifest_of(project)
    spoil(data)
    write_manifest(project, data)
    with pytest.raises(ManifestError) as info:
        ProjectStore.open(project.path)
    assert any(p.startswith(expected) for p in info.value.problems), info.value.problems
    assert str(project.path / PROJECT_FILE) in str(info.value)
    assert any(p.startswith(expected) for p in validate_project(project.path))
    assert any(p.startswith(expected) for p in validate_project(project.path / PROJECT_FILE))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"name": "x",', "line 1 column 14"),  # cut short
        ("", "line 1 column 1: Expecting value"),
        ("[]", "must hold a JSON object"),
        ('{"name": "x"} trailing', "Extra data"),
    ],
)
def test_a_malformed_manifest_is_reported(project: ProjectStore, text: str, expected: str):
    write_manifest(project, text)
    with pytest.raises(ManifestError, match=expected):
        ProjectStore.open(project.path)
    assert any(expected in p for p in validate_project(project.path))


def test_a_manifest_that_is_not_utf8_is_reported(project: ProjectStore):
    (project.path / PROJECT_FILE).write_bytes(b'{"name": "\xff"}')
    with pytest.raises(ManifestError, match="not UTF-8"):
        ProjectStore.open(project.path)


def test_a_folder_without_manifest(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="is not an Auteur project"):
        ProjectStore.open(tmp_path)
    assert validate_project(tmp_path) == [f"{tmp_path / PROJECT_FILE}: no such file"]


# ---------------------------------------------------------------- scene files


@pytest.fixture
def scene_id(project: ProjectStore) -> str:
    """A scene holding two shots, one with a take."""
    scene = project.add_scene("1", "Roof")
    project.add_shot("1/1", "one")
    project.add_shot("1/1", "two")
    return scene.id


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (lambda d: d["shots"][1].update(duration="long"), "shots[1].duration"),
        (lambda d: d["shots"][0].update(framing="dutch"), "shots[0].framing"),
        (lambda d: d["shots"][0].pop("id") and d["shots"][0].update(number=0), "shots[0].number"),
        (lambda d: d.update(sceneId="scene-other"), "sceneId: 'scene-other' should be"),
        (lambda d: d.update(shots={}), "shots: Input should be a valid array"),
    ],
)
def test_a_bad_scene_file_names_the_file_and_field(
    project: ProjectStore, scene_id: str, spoil, expected: str
):
    path = scene_path(project, scene_id)
    data = json.loads(path.read_text())
    spoil(data)
    path.write_text(json.dumps(data))
    rel = f"{SCENES_DIR.as_posix()}/{scene_id}.json"
    with pytest.raises(ManifestError) as info:
        ProjectStore.open(project.path)
    assert info.value.source == rel
    assert any(p.startswith(expected) for p in info.value.problems), info.value.problems
    assert any(p.startswith(f"{rel}: {expected}") for p in validate_project(project.path))


def test_a_scene_file_that_is_not_json(project: ProjectStore, scene_id: str):
    scene_path(project, scene_id).write_text('{"sceneId": ')
    with pytest.raises(ManifestError, match="Invalid JSON"):
        ProjectStore.open(project.path)


def test_shots_written_inline_in_project_json(project: ProjectStore):
    """A hand-written project.json may hold a scene's shots itself, as the schema allows."""
    data = manifest_of(project)
    shots = [
        {"id": "shot-a", "number": 1, "description": "inline one", "surprise": 1},
        {"id": "shot-b", "number": 2, "description": "inline two", "framing": "wide"},
    ]
    data["narrative"]["chapters"][0]["scenes"] = [
        {"id": "scene-inline", "number": 1, "title": "Inline", "shots": shots},
        {"id": "scene-other", "number": 2, "title": "Other", "shots": [{"id": "shot-c"}]},
    ]
    write_manifest(project, data)
    assert validate_project(project.path) == []
    store = ProjectStore.open(project.path)
    assert [s.description for _, _, s in store.iter_shots()][:2] == ["inline one", "inline two"]

    store.add_chapter("A change that is not about these shots")
    assert (scene_path(store, "scene-inline")).is_file()
    assert "shots" not in manifest_of(store)["narrative"]["chapters"][0]["scenes"][0]
    again = ProjectStore.open(project.path)
    scene = again.project.narrative.chapters[0].scenes[0]
    assert [s.id for s in scene.shots] == ["shot-a", "shot-b"]
    assert scene.shots[0].__pydantic_extra__ == {"surprise": 1}
    assert [s.id for s in again.project.narrative.chapters[0].scenes[1].shots] == ["shot-c"]
    again.add_shot("1/1", "three")
    assert [s.description for s in ProjectStore.open(project.path).locate("1/1").scene.shots] == [
        "inline one",
        "inline two",
        "three",
    ]


def test_the_seed_manifest_opens_as_a_project(tmp_path: Path):
    folder = tmp_path / "Old_Project"
    folder.mkdir()
    (folder / PROJECT_FILE).write_text(SEED_MANIFEST)
    store = ProjectStore.open(folder)
    assert store.project.name == "My Film Project"
    store.add_chapter("First chapter")
    written = manifest_of(store)
    original = json.loads(SEED_MANIFEST)
    original["narrative"]["chapters"] = written["narrative"]["chapters"]
    assert_contains(written, original)
    assert written["schemaVersion"] == 1
    assert written["narrative"]["chapters"][0]["title"] == "First chapter"


def test_unknown_fields_survive_store_writes(project: ProjectStore):
    project.add_scene("1", "Roof")
    project.add_shot("1/1", "one")
    data = manifest_of(project)
    data["studioNotes"] = {"reviewed": True}
    data["narrative"]["chapters"][0]["colour"] = "red"
    data["narrative"]["chapters"][0]["scenes"][0]["weather"] = "rain"
    write_manifest(project, data)
    scene = scene_path(project, data["narrative"]["chapters"][0]["scenes"][0]["id"])
    scene_data = json.loads(scene.read_text())
    scene_data["editorNote"] = "keep"
    scene_data["shots"][0]["lens"] = "35mm"
    scene.write_text(json.dumps(scene_data))

    store = ProjectStore.open(project.path)
    store.update("1/1/1", description="changed")
    store.update("1", description="changed")
    store.add_shot("1/1", "two")
    data = manifest_of(store)
    assert data["studioNotes"] == {"reviewed": True}
    assert data["narrative"]["chapters"][0]["colour"] == "red"
    assert data["narrative"]["chapters"][0]["scenes"][0]["weather"] == "rain"
    assert json.loads(scene.read_text())["shots"][0]["lens"] == "35mm"


# ---------------------------------------------------------------- references


def test_validate_reports_broken_references(project: ProjectStore):
    project.add_scene("1", "Roof")
    project.add_shot("1/1", "one")
    data = manifest_of(project)
    scene = data["narrative"]["chapters"][0]["scenes"][0]
    data["narrative"]["chapters"][1]["scenes"] = [{**scene, "number": 1, "title": "Copy"}]
    write_manifest(project, data)
    path = scene_path(project, scene["id"])
    scene_data = json.loads(path.read_text())
    scene_data["shots"][0]["characters"] = ["char-ghost"]
    scene_data["shots"][0]["activeTake"] = "take-ghost"
    path.write_text(json.dumps(scene_data))
    problems = validate_project(project.path)
    assert any("narrative.chapters[1].scenes[0].id" in p and "also used" in p for p in problems)
    assert any("uses asset 'char-ghost'" in p for p in problems)
    assert any(p.endswith("activeTake: 'take-ghost' is not one of its takes") for p in problems)


def test_a_shot_left_in_two_scenes_keeps_its_first_place(project: ProjectStore):
    """What a crash in the middle of a move leaves behind is repaired on open."""
    first = project.add_scene("1", "A")
    second = project.add_scene("1", "B")
    shot = project.add_shot("1/2", "moving")
    data = json.loads(scene_path(project, first.id).read_text())
    data["shots"] = json.loads(scene_path(project, second.id).read_text())["shots"]
    scene_path(project, first.id).write_text(json.dumps(data))
    assert validate_project(project.path) == []
    store = ProjectStore.open(project.path)
    assert [s.id for s in store.locate("1/1").scene.shots] == [shot.id]
    assert store.locate("1/2").scene.shots == []


# ---------------------------------------------------------------- temp files and atomic writes


def test_leftover_temp_files_are_ignored_then_swept(project: ProjectStore, scene_id: str):
    leftovers = [
        project.path / f".{PROJECT_FILE}.0123abcd.auteur-tmp",
        project.path / SCENES_DIR / f".{scene_id}.json.89abcdef.auteur-tmp",
        project.path / ".git" / ".auteur.revision.00ff00ff.auteur-tmp",
    ]
    project.commit("Scene")
    for path in leftovers:
        path.write_text('{"half": ')  # what a crash mid-write leaves
    assert project.git.is_clean(), "git ignores them"
    keep = project.path / "04_Project_Files" / "mine.auteur-tmp"  # not a temp file of ours
    keep.write_text("user file")
    store = ProjectStore.open(project.path)
    assert validate_project(project.path) == []
    store.add_shot("1/1", "three")
    assert [p for p in leftovers if p.exists()] == []
    assert keep.exists()


def test_atomic_write_replaces_the_file(tmp_path: Path):
    path = tmp_path / "file.json"
    path.write_text("old")
    with path.open() as reader:  # a reader of the old file keeps the old content
        atomic_write(path, "new content")
        assert reader.read() == "old"
    assert path.read_text() == "new content"
    atomic_write(path, b"\x00bytes")
    assert path.read_bytes() == b"\x00bytes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.json"]
    assert stat.S_IMODE(path.stat().st_mode) & 0o600 == 0o600


def test_atomic_write_flushes_file_then_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    steps: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        steps.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        steps.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    atomic_write(tmp_path / "a.json", "{}")
    assert steps == ["fsync file", "replace", "fsync folder"]
    steps.clear()
    atomic_write(tmp_path / "a.json", "{}", durable=False)
    assert steps == ["replace"]


def test_a_failed_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "a.json"
    path.write_text("old")

    def full_disk(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"], "no temp file is left"


# ---------------------------------------------------------------- split storage round trip


@settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(PROJECTS)
def test_split_storage_round_trip(data: dict[str, Any]):
    """The manifest and one file per scene, read back, give the same project."""
    project = Project.model_validate(data)
    manifest = dump_manifest(project)
    assert b'"shots"' not in manifest or all(
        "shots" not in s for c in json.loads(manifest)["narrative"]["chapters"] for s in c["scenes"]
    )
    again = parse_manifest(manifest)
    for chapter, original in zip(again.narrative.chapters, project.narrative.chapters, strict=True):
        for scene, source in zip(chapter.scenes, original.scenes, strict=True):
            scene.shots = parse_scene(dump_scene(source), source.id, "scene")
    assert again == project
    assert again.to_data() == project.to_data()


# ---------------------------------------------------------------- takes, read on first use


@pytest.fixture
def with_takes(project: ProjectStore) -> ProjectStore:
    """Scene 1/1 with two shots of three takes each, and scene 1/2 with one shot."""
    project.add_scene("1", "Roof")
    project.add_scene("1", "Street")
    for address, description in (("1/1", "a"), ("1/1", "b"), ("1/2", "c")):
        shot = project.add_shot(address, description)
        with project.transaction():
            found = project.locate(shot.id)
            found.shot.takes.extend(
                Take(number=n, path=f"03_Renders/{shot.id}/take_{n}.png") for n in (1, 2, 3)
            )
            found.shot.active_take = found.shot.takes[-1].id
            project.touch_scene(found.scene)
    return project


def test_scene_file_keeps_takes_last_by_shot(with_takes: ProjectStore):
    scene = with_takes.locate("1/1").scene
    raw = scene_path(with_takes, scene.id).read_bytes()
    data = json.loads(raw)
    keys = ["schemaVersion", "sceneId", "journalRevision", "shots", "takeCounts", "takes"]
    assert list(data) == keys
    assert all("takes" not in shot for shot in data["shots"])
    assert data["takeCounts"] == {shot.id: 3 for shot in scene.shots}
    assert [t["number"] for t in data["takes"][scene.shots[0].id]] == [1, 2, 3]
    assert raw.index(b'"takes"') > raw.index(b'"shots"')


def test_opening_leaves_takes_unread_until_used(with_takes: ProjectStore):
    store = ProjectStore.open(with_takes.path)
    shot = store.locate("1/1/1").shot
    pending = shot.__dict__["takes"]
    assert isinstance(pending, LazyList) and pending.pending
    assert len(shot.takes) == 3 and shot.takes  # counted without reading
    assert pending.pending
    assert [t.number for t in shot.takes] == [1, 2, 3]
    assert shot.active_take == shot.takes[-1].id
    assert not pending.pending
    assert store.project.to_data() == with_takes.project.to_data()


def test_a_project_with_unread_takes_serialises_and_compares_whole(with_takes: ProjectStore):
    expected = with_takes.project
    for read in (
        lambda p: p.to_data(),
        lambda p: json.loads(p.model_dump_json(by_alias=True)),
        lambda p: p.model_copy(deep=True).to_data(),
        lambda p: pickle.loads(pickle.dumps(p)).to_data(),
    ):
        assert read(ProjectStore.open(with_takes.path).project) == expected.to_data()
    assert ProjectStore.open(with_takes.path).project == expected
    assert expected == ProjectStore.open(with_takes.path).project


def test_edits_keep_unread_takes(with_takes: ProjectStore):
    store = ProjectStore.open(with_takes.path)
    before = {s.id: [t.id for t in s.takes] for _, _, s in with_takes.iter_shots()}
    store.update("1/1/1", description="edited")  # the scene is written again
    store.rename("1/1/2", "renamed")
    store.move("1/1/1", 1, parent="1/2")  # a shot moves with its takes
    store.add_shot("1/1", "new")
    after = ProjectStore.open(with_takes.path)
    assert {s.id: [t.id for t in s.takes] for _, _, s in after.iter_shots() if s.takes} == before
    assert validate_project(with_takes.path) == []


def test_setting_a_field_keeps_the_unread_takes(with_takes: ProjectStore):
    shot = ProjectStore.open(with_takes.path).locate("1/1/1").shot
    shot.description = "assigned"  # validated assignment
    assert isinstance(shot.__dict__["takes"], LazyList)
    assert len(list(shot.takes)) == 3


def test_scene_files_with_takes_inside_shots_are_read(with_takes: ProjectStore):
    """Files written by earlier versions hold each shot's takes inside the shot."""
    scene = with_takes.locate("1/1").scene
    path = scene_path(with_takes, scene.id)
    data = json.loads(path.read_text())
    for shot in data["shots"]:
        shot["takes"] = data["takes"][shot["id"]]
    del data["takes"], data["takeCounts"]
    path.write_text(json.dumps(data, indent=2))
    store = ProjectStore.open(with_takes.path)
    assert [len(s.takes) for s in store.locate("1/1").scene.shots] == [3, 3]
    store.update("1/1/2", description="rewritten in the new layout")
    assert "takes" in json.loads(path.read_text())
    assert ProjectStore.open(with_takes.path).project == store.project


def test_a_bad_take_is_named_when_used_and_by_validate(with_takes: ProjectStore):
    scene = with_takes.locate("1/1").scene
    shot_id = scene.shots[0].id
    path = scene_path(with_takes, scene.id)
    data = json.loads(path.read_text())
    data["takes"][shot_id][1]["number"] = 0
    path.write_text(json.dumps(data, indent=2))
    store = ProjectStore.open(with_takes.path)  # the shots are fine: it opens
    with pytest.raises(ManifestError) as info:
        list(store.locate(shot_id).shot.takes)
    assert any(p.startswith(f"takes.{shot_id}[1].number") for p in info.value.problems)
    rel = f"{SCENES_DIR.as_posix()}/{scene.id}.json"
    assert any(
        p.startswith(f"{rel}: takes.{shot_id}[1].number") for p in validate_project(path.parents[2])
    )


def test_a_scene_whose_shots_fill_more_than_one_read(tmp_path: Path):
    scene = Scene(id="scene-big")
    scene.shots = [
        Shot(description=f"{i} " + "d" * 3000, takes=[Take(number=1, path=f"{i}.png")])
        for i in range(40)
    ]
    path = tmp_path / "scene-big.json"
    path.write_bytes(dump_scene(scene))
    assert path.stat().st_size > 2 * 64 * 1024
    shots, counts, _ = read_scene_shots(path, "scene-big", "scene-big.json")
    assert counts == {shot.id: 1 for shot in scene.shots}
    assert [s.description for s in shots] == [s.description for s in scene.shots]
    takes = read_scene_takes(path, "scene-big", "scene-big.json")
    assert [takes[s.id][0].path for s in shots] == [f"{i}.png" for i in range(40)]


def test_a_scene_file_laid_out_by_hand_is_read_whole(with_takes: ProjectStore):
    scene = with_takes.locate("1/1").scene
    path = scene_path(with_takes, scene.id)
    path.write_text(json.dumps(json.loads(path.read_text())))  # one line, no indent
    store = ProjectStore.open(with_takes.path)
    shot = store.locate("1/1/1").shot
    assert not isinstance(shot.__dict__["takes"], LazyList)
    assert len(shot.takes) == 3
    assert store.project == with_takes.project
