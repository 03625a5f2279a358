"""The project store's commands: the Chapter → Scene → Shot hierarchy, events and structure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import auteur.storage.store as store_module
from auteur.model import (
    Character,
    EmotionalBeat,
    Framing,
    Location,
    NarrativeStructure,
    Project,
    ProjectUpdateEvent,
    Take,
    builtin_template,
)
from auteur.storage import PROJECT_FILE, SCENES_DIR, ProjectStore, StoreError

pytestmark = pytest.mark.git


def numbering(project: Project) -> list[Any]:
    """The numbers of every chapter, scene and shot, as nested lists."""
    return [
        (c.number, [(s.number, [h.number for h in s.shots]) for s in c.scenes])
        for c in project.narrative.chapters
    ]


def assert_numbered(project: Project) -> None:
    """Numbers run 1, 2, 3... at every level."""
    chapters = project.narrative.chapters
    assert [c.number for c in chapters] == list(range(1, len(chapters) + 1))
    for chapter in chapters:
        assert [s.number for s in chapter.scenes] == list(range(1, len(chapter.scenes) + 1))
        for scene in chapter.scenes:
            assert [h.number for h in scene.shots] == list(range(1, len(scene.shots) + 1))


def reopened(store: ProjectStore) -> Project:
    """The project as a new store reads it from disk."""
    return ProjectStore.open(store.path).project


def assert_saved(store: ProjectStore) -> None:
    """What the store holds is what is on disk."""
    assert reopened(store).to_data() == store.project.to_data()
    assert_numbered(store.project)


def add_character(store: ProjectStore, name: str = "Mara") -> Character:
    """Put a character in the asset library (the asset commands come with the assets)."""
    with store.transaction() as project:
        character = Character(name=name)
        project.assets.characters.append(character)
        store.touch_manifest()
    return character


def add_take(store: ProjectStore, address: str) -> Take:
    """Give a shot a take, as the render service does."""
    with store.transaction():
        found = store.locate(address, "shot")
        assert found.shot is not None and found.scene is not None
        take = Take(number=len(found.shot.takes) + 1, path=f"03_Renders/{found.shot.id}.png")
        found.shot.takes.append(take)
        store.touch_scene(found.scene)
    return take


@pytest.fixture
def events(project: ProjectStore) -> list[Any]:
    """Every event the project publishes from now on."""
    seen: list[Any] = []
    project.bus.subscribe(seen.append)
    return seen


# ---------------------------------------------------------------- chapters


def test_add_chapter_at_the_end_and_at_a_position(project: ProjectStore, events: list[Any]):
    assert len(project.project.narrative.chapters) == 3  # three-act
    coda = project.add_chapter("Coda", "After the end")
    assert coda.number == 4 and coda.description == "After the end"
    prologue = project.add_chapter("Prologue", position=1)
    titles = [c.title for c in project.project.narrative.chapters]
    assert titles[0] == "Prologue" and titles[-1] == "Coda"
    assert prologue.number == 1 and project.locate("5").item.id == coda.id
    far = project.add_chapter("Far", position=99)  # past the end: last
    assert far.number == 6
    assert [e.type for e in events] == ["project_update"] * 3
    assert events[0].changes == {
        "action": "added",
        "kind": "chapter",
        "id": coda.id,
        "address": "4",
    }
    assert events[0].project_id == project.project.id
    assert_saved(project)


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "must not be empty"),
        ("\x00", "control characters"),
        ("x" * 300, "300 characters long"),
    ],
)
def test_bad_titles_are_refused(project: ProjectStore, title: str, message: str):
    with pytest.raises(ValueError, match=message):
        project.add_chapter(title)
    with pytest.raises(ValueError, match=message):
        project.add_scene("1", title)
    assert len(project.project.narrative.chapters) == 3


def test_positions_start_at_one(project: ProjectStore):
    with pytest.raises(StoreError, match="positions start at 1"):
        project.add_chapter("Zero", position=0)
    assert_saved(project)


# ---------------------------------------------------------------- scenes and shots


def test_add_scene_by_address_or_id(project: ProjectStore):
    first = project.add_scene("1", "Rooftop", "Night, rain")
    chapter_id = project.project.narrative.chapters[1].id
    second = project.add_scene(chapter_id, "Alley")
    before = project.add_scene("1", "Opening", position=1)
    assert project.locate("1/1").item.id == before.id
    assert project.locate("1/2").item.id == first.id
    assert project.locate("2/1").item.id == second.id
    assert (project.path / SCENES_DIR / f"{first.id}.json").is_file()
    assert_saved(project)


def test_add_scene_to_a_missing_chapter(project: ProjectStore):
    with pytest.raises(StoreError, match="no chapter 9"):
        project.add_scene("9", "Nowhere")
    with pytest.raises(StoreError, match="is a scene, not a chapter"):
        project.add_scene(project.add_scene("1", "A").id, "B")


def test_scene_linked_to_an_emotional_beat(project: ProjectStore):
    beat = project.project.narrative.emotional_beats[0]
    scene = project.add_scene("1", "Opening", emotional_beat=beat.id)
    assert scene.emotional_beat == beat.id
    with pytest.raises(StoreError, match="no emotional beat"):
        project.add_scene("1", "Lost", emotional_beat="beat-none")
    other = project.project.narrative.emotional_beats[1]
    project.update("1/1", emotional_beat=other.id)
    assert reopened(project).narrative.chapters[0].scenes[0].emotional_beat == other.id
    assert_saved(project)


def test_add_shot_with_every_field(project: ProjectStore, events: list[Any]):
    mara = add_character(project)
    with project.transaction() as p:
        roof = Location(name="Roof")
        p.assets.locations.append(roof)
        project.touch_manifest()
    project.add_scene("2", "Rooftop")
    events.clear()
    shot = project.add_shot(
        "2/1",
        "Mara looks down at the city",
        title="Look down",
        framing="close-up",
        duration=72,
        characters=[mara.asset_id],
        location=roof.asset_id,
        quality="high",
    )
    saved = reopened(project).narrative.chapters[1].scenes[0].shots[0]
    assert saved.id == shot.id and saved.number == 1
    assert saved.description == "Mara looks down at the city"
    assert saved.framing is Framing.CLOSE_UP
    assert saved.duration == 72
    assert saved.characters == [mara.asset_id]
    assert saved.location == roof.asset_id
    assert saved.quality == "high"
    assert project.locate(shot.id).address == "2/1/1"
    assert {e.type for e in events} == {"project_update", "character_usage_updated"}
    usage = next(e for e in events if e.type == "character_usage_updated")
    assert usage.asset_id == mara.asset_id and usage.usage == [shot.id]
    assert reopened(project).assets.locations[0].usage == [shot.id]
    assert_saved(project)


def test_add_shot_uses_the_default_length(project: ProjectStore):
    project.add_scene("1", "A")
    assert project.add_shot("1/1", "x").duration == project.settings.default_shot_frames


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"framing": "dutch"}, "invalid shot: framing"),
        ({"duration": -1}, "invalid shot: duration"),
        ({"quality": "ultra"}, "invalid shot: quality"),
        ({"characters": ["char-nobody"]}, "no character with the id 'char-nobody'"),
        ({"location": "loc-nowhere"}, "no location"),
        ({"style": "style-none"}, "no style"),
    ],
)
def test_bad_shot_fields_are_refused(project: ProjectStore, fields: dict, message: str):
    project.add_scene("1", "A")
    with pytest.raises(StoreError, match=message):
        project.add_shot("1/1", "x", **fields)
    assert project.project.narrative.chapters[0].scenes[0].shots == []
    assert_saved(project)


def test_shots_are_inserted_and_numbered(project: ProjectStore):
    project.add_scene("1", "A")
    a = project.add_shot("1/1", "a")
    c = project.add_shot("1/1", "c")
    b = project.add_shot("1/1", "b", position=2)
    assert [s.id for s in project.project.narrative.chapters[0].scenes[0].shots] == [
        a.id,
        b.id,
        c.id,
    ]
    assert project.locate("1/1/3").item.id == c.id
    assert_saved(project)


# ---------------------------------------------------------------- rename and update


def test_rename_each_kind(project: ProjectStore, events: list[Any]):
    project.add_scene("1", "A")
    project.add_shot("1/1", "a")
    for address in ("1", "1/1", "1/1/1"):
        project.rename(address, f"Renamed {address}")
        assert project.locate(address).item.title == f"Renamed {address}"
    assert [e.changes["fields"] for e in events[-3:]] == [["title"]] * 3
    with pytest.raises(ValueError, match="must not be empty"):
        project.rename("1", "  ")
    assert_saved(project)


def test_update_shot_fields(project: ProjectStore):
    mara, ash = add_character(project, "Mara"), add_character(project, "Ash")
    project.add_scene("1", "A")
    shot = project.add_shot("1/1", "a", characters=[mara.asset_id])
    project.update("1/1/1", description="new", framing=Framing.WIDE, duration=12)
    project.update(shot.id, characters=[ash.asset_id])
    saved = reopened(project)
    stored = saved.narrative.chapters[0].scenes[0].shots[0]
    assert (stored.description, stored.framing, stored.duration) == ("new", "wide", 12)
    assert stored.characters == [ash.asset_id]
    assert saved.assets.characters[0].usage == []  # Mara no longer appears
    assert saved.assets.characters[1].usage == [shot.id]
    assert_saved(project)


def test_update_the_active_take(project: ProjectStore):
    project.add_scene("1", "A")
    project.add_shot("1/1", "a")
    first, second = add_take(project, "1/1/1"), add_take(project, "1/1/1")
    project.update("1/1/1", active_take=second.id)
    assert reopened(project).narrative.chapters[0].scenes[0].shots[0].active_take == second.id
    project.update("1/1/1", active_take=first.id)
    assert reopened(project).narrative.chapters[0].scenes[0].shots[0].active_take == first.id
    with pytest.raises(StoreError, match="not a take of this shot"):
        project.update("1/1/1", active_take="take-other")
    assert_saved(project)


def test_update_keeps_children_and_unknown_fields(project: ProjectStore):
    scene = project.add_scene("1", "A")
    project.add_shot("1/1", "a")
    with project.transaction() as p:
        p.narrative.chapters[0].__pydantic_extra__["colour"] = "red"
        project.touch_manifest()
    project.update("1", description="edited")
    project.update("1/1", description="edited too")
    saved = reopened(project).narrative.chapters[0]
    assert saved.description == "edited" and saved.__pydantic_extra__ == {"colour": "red"}
    assert saved.scenes[0].id == scene.id and len(saved.scenes[0].shots) == 1


@pytest.mark.parametrize(
    ("address", "fields", "message"),
    [
        ("1", {"framing": "wide"}, "cannot update framing of a chapter"),
        ("1/1", {"duration": 3}, "cannot update duration of a scene"),
        ("1/1/1", {"id": "x"}, "cannot update id of a shot"),
        ("1/1/1", {"takes": []}, "cannot update takes"),
        ("1/1/1", {"duration": 0}, "invalid shot: duration"),
        ("1/1/9", {"title": "x"}, "no shot 9"),
    ],
)
def test_update_refuses(project: ProjectStore, address: str, fields: dict, message: str):
    project.add_scene("1", "A")
    project.add_shot("1/1", "a")
    with pytest.raises(StoreError, match=message):
        project.update(address, **fields)
    assert_saved(project)


# ---------------------------------------------------------------- reorder and move


def test_reorder_chapters(project: ProjectStore):
    ids = [c.id for c in project.project.narrative.chapters]
    project.move("3", 1)
    assert [c.id for c in project.project.narrative.chapters] == [ids[2], ids[0], ids[1]]
    project.move(ids[2], 3)
    assert [c.id for c in project.project.narrative.chapters] == [ids[0], ids[1], ids[2]]
    with pytest.raises(StoreError, match="chapters have no parent"):
        project.move("1", 1, parent="2")
    assert_saved(project)


def test_move_scene_to_another_chapter(project: ProjectStore):
    a = project.add_scene("1", "A")
    b = project.add_scene("1", "B")
    project.add_shot("1/1", "shot of A")
    c = project.add_scene("2", "C")
    moved = project.move("1/1", 1, parent="2")
    assert moved.address == "2/1"
    assert [s.id for s in project.project.narrative.chapters[0].scenes] == [b.id]
    assert [s.id for s in project.project.narrative.chapters[1].scenes] == [a.id, c.id]
    assert project.locate("2/1/1").item.description == "shot of A"
    assert_saved(project)


def test_move_shot_within_and_across_scenes_and_chapters(project: ProjectStore):
    project.add_scene("1", "A")
    project.add_scene("3", "Z")
    shots = [project.add_shot("1/1", f"shot {i}") for i in range(1, 4)]
    project.move("1/1/3", 1)
    assert [s.id for s in project.project.narrative.chapters[0].scenes[0].shots] == [
        shots[2].id,
        shots[0].id,
        shots[1].id,
    ]
    moved = project.move(shots[0].id, 1, parent="3/1")
    assert moved.address == "3/1/1"
    assert [s.number for s in project.project.narrative.chapters[0].scenes[0].shots] == [1, 2]
    saved = reopened(project)
    assert [s.id for s in saved.narrative.chapters[2].scenes[0].shots] == [shots[0].id]
    assert all(s.id != shots[0].id for s in saved.narrative.chapters[0].scenes[0].shots)
    with pytest.raises(StoreError, match="is a chapter, not a scene"):
        project.move("1/1/1", 1, parent="2")
    assert_saved(project)


# ---------------------------------------------------------------- remove


def test_remove_needs_force_for_content(project: ProjectStore):
    project.add_scene("1", "A")
    project.add_shot("1/1", "a")
    add_take(project, "1/1/1")
    with pytest.raises(StoreError, match=r"shot 1/1/1 has 1 take\(s\)"):
        project.remove("1/1/1")
    with pytest.raises(StoreError, match=r"scene 1/1 holds 1 shot\(s\)"):
        project.remove("1/1")
    with pytest.raises(StoreError, match=r"chapter 1 holds 1 scene\(s\) and 1 shot\(s\)"):
        project.remove("1")
    assert_saved(project)
    assert len(reopened(project).narrative.chapters[0].scenes[0].shots) == 1


def test_remove_each_kind(project: ProjectStore, events: list[Any]):
    mara = add_character(project)
    scene = project.add_scene("1", "A")
    project.add_scene("1", "B")
    project.add_shot("1/1", "a", characters=[mara.asset_id])
    project.add_shot("1/1", "b")
    project.remove("1/1/1")
    assert [s.description for s in project.project.narrative.chapters[0].scenes[0].shots] == ["b"]
    assert reopened(project).assets.characters[0].usage == []
    assert "character_usage_updated" in [e.type for e in events]
    project.remove("1/1", force=True)
    assert not (project.path / SCENES_DIR / f"{scene.id}.json").exists()
    project.remove("3")  # an empty chapter needs no force
    project.remove("1", force=True)
    assert [c.title for c in project.project.narrative.chapters] == ["Act II: Confrontation"]
    assert [e.changes["action"] for e in events if e.type == "project_update"][-4:] == [
        "removed"
    ] * 4
    assert_saved(project)


def test_remove_with_takes_keeps_the_take_files(project: ProjectStore):
    project.add_scene("1", "A")
    project.add_shot("1/1", "a")
    take = add_take(project, "1/1/1")
    (project.path / take.path).write_bytes(b"image")
    project.remove("1/1/1", force=True)
    assert (project.path / take.path).read_bytes() == b"image"


# ---------------------------------------------------------------- structure changes


def test_changing_structure_keeps_user_content(project: ProjectStore, events: list[Any]):
    beat_linked = project.project.narrative.emotional_beats[3]
    scene = project.add_scene("2", "Heart of it", emotional_beat=beat_linked.id)
    project.add_shot("2/1", "a shot")
    project.update("3", description="My own ending")  # an edited template chapter
    mine = project.add_chapter("My chapter")
    with project.transaction() as p:
        p.narrative.emotional_beats.append(EmotionalBeat(name="My beat"))
        project.touch_manifest()
    events.clear()

    template = builtin_template("story-circle")
    project.set_structure("story-circle", template)

    narrative = reopened(project).narrative
    assert narrative.structure is NarrativeStructure.STORY_CIRCLE
    chapters = {c.id: c for c in narrative.chapters}
    assert scene.id in [s.id for c in narrative.chapters for s in c.scenes]
    assert len(chapters[project.project.narrative.chapters[0].id].scenes) == 1
    assert any(c.description == "My own ending" for c in narrative.chapters)
    assert mine.id in chapters
    assert "Act I: Setup" not in [c.title for c in narrative.chapters]  # untouched: replaced
    for stage in template.chapters:
        assert stage.title in [c.title for c in narrative.chapters]
    beat_names = [b.name for b in narrative.emotional_beats]
    assert "My beat" in beat_names
    assert {b.name for b in template.emotional_beats} <= set(beat_names)
    assert "Inciting Incident" not in beat_names  # an unused template beat: replaced
    # The scene's beat still exists: a structure change never breaks a link the user made.
    assert narrative.chapters[0].scenes[0].emotional_beat in {
        b.id for b in narrative.emotional_beats
    }
    assert [e.type for e in events] == ["narrative_structure_changed"]
    assert events[0].structure is NarrativeStructure.STORY_CIRCLE
    assert reopened(project).narrative.chapters[0].scenes[0].shots[0].description == "a shot"
    assert_saved(project)


def test_structure_round_trip_on_an_untouched_project(project: ProjectStore):
    project.set_structure("hero-journey", builtin_template("hero-journey"))
    project.set_structure("three-act", builtin_template("three-act"))
    titles = [c.title for c in project.project.narrative.chapters]
    assert titles == [c.title for c in builtin_template("three-act").chapters]
    assert_saved(project)


def test_structure_and_template_must_agree(project: ProjectStore):
    with pytest.raises(StoreError, match="template is for beat-sheet"):
        project.set_structure("three-act", builtin_template("beat-sheet"))


# ---------------------------------------------------------------- transactions and events


def test_events_are_published_once_the_files_are_on_disk(project: ProjectStore):
    seen_on_disk: list[bool] = []

    def check(event: Any) -> None:
        data = json.loads((project.path / PROJECT_FILE).read_text())
        titles = [c["title"] for c in data["narrative"]["chapters"]]
        seen_on_disk.append("Coda" in titles)

    project.bus.subscribe(check)
    project.add_chapter("Coda")
    assert seen_on_disk == [True]


def test_a_failed_transaction_changes_nothing(project: ProjectStore, events: list[Any]):
    before = project.project.to_data()
    with pytest.raises(RuntimeError, match="half way"), project.transaction() as p:
        p.narrative.chapters[0].title = "Half-made change"
        project.touch_manifest()
        raise RuntimeError("half way")
    assert project.project.to_data() == before
    assert reopened(project).to_data() == before
    assert events == []


def test_nested_transactions_write_once(project: ProjectStore, events: list[Any]):
    revision = project.revision
    with project.transaction():
        project.add_chapter("One")
        project.add_chapter("Two")
        assert events == []  # nothing is published before the outer transaction ends
    assert project.revision == revision + 1
    assert [e.changes["address"] for e in events] == ["4", "5"]
    assert_saved(project)


def test_a_command_that_changes_nothing_writes_nothing(project: ProjectStore):
    revision = project.revision
    project.update_project()
    with project.transaction():
        pass
    assert project.revision == revision
    assert project.git.is_clean()


def test_iter_shots_in_story_order(project: ProjectStore):
    project.add_scene("2", "B")
    project.add_scene("1", "A")
    project.add_shot("2/1", "second")
    project.add_shot("1/1", "first")
    project.add_shot("1/1", "first again")
    assert [(c.number, s.number, h.description) for c, s, h in project.iter_shots()] == [
        (1, 1, "first"),
        (1, 1, "first again"),
        (2, 1, "second"),
    ]
    assert numbering(project.project)[0] == (1, [(1, [1, 2])])


def test_events_of_a_failed_transaction_are_dropped(project: ProjectStore, events: list[Any]):
    with pytest.raises(RuntimeError, match="fails"), project.transaction():
        project.emit(ProjectUpdateEvent(changes={"never": "published"}))
        raise RuntimeError("fails")
    project.add_chapter("After")
    assert [e.changes.get("never") for e in events] == [None]


def test_a_moving_shot_reaches_its_new_scene_first(
    project: ProjectStore, monkeypatch: pytest.MonkeyPatch
):
    """Were a crash to stop the move half way, the shot would be in both scenes, not lost."""
    source = project.add_scene("1", "Source")
    target = project.add_scene("2", "Target")
    project.add_shot("1/1", "moving")
    written: list[str] = []
    real_write = store_module.atomic_write

    def recording_write(path: Path, data: Any, **kwargs: Any) -> None:
        written.append(path.stem)
        real_write(path, data, **kwargs)

    monkeypatch.setattr(store_module, "atomic_write", recording_write)
    project.move("1/1/1", 1, parent="2/1")
    scene_writes = [name for name in written if name.startswith("scene-")]
    assert scene_writes == [target.id, source.id]
    monkeypatch.undo()
    project.move("2/1/1", 1, parent="1/1")  # and back, through the other order
    assert [s.description for s in reopened(project).narrative.chapters[0].scenes[0].shots] == [
        "moving"
    ]
