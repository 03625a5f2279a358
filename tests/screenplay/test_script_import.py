"""Importing a screenplay into a project, and importing it again after it changed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from auteur.model import Recipe
from auteur.model.fountain import FountainError
from auteur.storage import ProjectStore
from auteur.storage.script_import import import_script, import_script_text

SAMPLE = Path(__file__).parents[1] / "data" / "sample.fountain"

pytestmark = pytest.mark.git


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 18), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def snapshot(store: ProjectStore) -> dict[str, bytes]:
    """Every file of the project but git's own, to compare before and after."""
    return {
        p.relative_to(store.path).as_posix(): p.read_bytes()
        for p in sorted(store.path.rglob("*"))
        if p.is_file()
        and ".git" not in p.relative_to(store.path).parts[:1]
        and not p.name.startswith("auteur.")
    }


def headings(store: ProjectStore) -> list[tuple[int, str]]:
    return [(c.number, s.heading) for c in store.project.narrative.chapters for s in c.scenes]


@pytest.fixture
def imported(project: ProjectStore) -> ProjectStore:
    import_script(project, SAMPLE)
    return project


def test_scenes_follow_the_script_and_its_acts(imported: ProjectStore):
    assert headings(imported) == [
        (1, "EXT. LIGHTHOUSE - NIGHT"),
        (1, "INT. LIGHTHOUSE - LAMP ROOM - CONTINUOUS"),
        (1, "EXT. HARBOUR - DAY"),
        (2, "INT. LIGHTHOUSE - LAMP ROOM - NIGHT"),
        (2, "UNDERWATER - THE WRECK"),
        (2, "EXT. CLIFF PATH - DAWN"),
        (3, "INT. LIGHTHOUSE - LAMP ROOM - NIGHT"),
    ]
    # The three acts fill the three chapters of the three-act structure; none is added.
    chapters = imported.project.narrative.chapters
    assert [c.title for c in chapters] == [
        "Act I: Setup",
        "Act II: Confrontation",
        "Act III: Resolution",
    ]
    scene = chapters[0].scenes[1]
    assert (scene.title, scene.int_ext, scene.time_of_day) == (
        "INT. LIGHTHOUSE - LAMP ROOM - CONTINUOUS",
        "INT",
        "CONTINUOUS",
    )
    assert scene.description == "The keeper is not alone."


def test_characters_are_merged_by_name(imported: ProjectStore):
    names = sorted(c.name for c in imported.project.assets.characters)
    # "AVA (V.O.)", "AVA (CONT'D)", "AVA (O.S.)" and "AVA" are one character: Ava.
    assert names == ["Ava", "Ben", "McCLANE", "Mrs. O'Brien"]


def test_locations_come_from_the_headings(imported: ProjectStore):
    names = [loc.name for loc in imported.project.assets.locations]
    assert names == ["Lighthouse", "Lighthouse - Lamp Room", "Harbour", "Cliff Path"]
    wreck = imported.locate("2/2", "scene").scene
    assert wreck is not None and all(shot.location is None for shot in wreck.shots)


def test_shots_hold_their_source_text_dialogue_and_cast(imported: ProjectStore):
    project = imported.project
    ava = next(c for c in project.assets.characters if c.name == "Ava")
    shot = imported.locate("1/1/1", "shot").shot
    assert shot is not None
    assert shot.source_text == (
        "Waves crash against the rocks. A *lone* figure climbs the cliff path, lantern in hand."
        "\n\nAVA (V.O.)\nI promised I would never come back."
    )
    (line,) = shot.dialogue
    assert (line.speaker, line.character, line.extensions) == ("Ava", ava.asset_id, ["V.O."])
    assert shot.characters == [ava.asset_id]
    lighthouse = next(loc for loc in project.assets.locations if loc.name == "Lighthouse")
    assert shot.location == lighthouse.asset_id
    # Usage follows who speaks and appears in each shot.
    ava_shots = {s.id for _, _, s in imported.iter_shots() if ava.asset_id in s.characters}
    assert set(ava.usage) == ava_shots and len(ava_shots) == 6
    assert shot.id in lighthouse.usage


def test_the_script_is_kept_as_a_screenplay_document(imported: ProjectStore):
    (doc,) = imported.documents.list("screenplay")
    assert doc.title == "THE LIGHTHOUSE KEEPER"
    assert doc.path.startswith("02_Source_Creative/Scripts/")
    assert imported.documents.read(doc.id) == SAMPLE.read_text(encoding="utf-8")


def test_import_again_changes_nothing(imported: ProjectStore):
    before, revision = snapshot(imported), imported.revision
    report = import_script(imported, SAMPLE)
    assert not report.changed and report.summary() == "no changes"
    assert imported.revision == revision
    assert snapshot(imported) == before
    assert len(list(imported.iter_shots())) == 11
    assert len(imported.documents.list()) == 1


def test_the_import_is_one_undoable_step(imported: ProjectStore):
    assert imported.undo() == "imported screenplay THE LIGHTHOUSE KEEPER"
    assert list(imported.iter_shots()) == []


CHANGES = [
    # The first action block is rewritten: the same shot is updated.
    (
        "Waves crash against the rocks. A *lone* figure",
        "Huge waves smash into the rocks. A *lone* figure",
    ),
    # A new scene appears between the harbour and act two.
    (
        "\n===\n",
        "\nEXT. FERRY - DAY\n\nThe ferry pulls away. CAPTAIN REYES waves.\n\n"
        "CAPTAIN REYES\nLast boat till spring!\n\n===\n",
    ),
    # The cliff path scene is cut.
    ("EXT. CLIFF PATH - DAWN\n\nAva runs down the path.\n\nBen follows, too slow.\n\n", ""),
]


def changed_script() -> str:
    text = SAMPLE.read_text(encoding="utf-8")
    for old, new in CHANGES:
        assert old in text
        text = text.replace(old, new, 1)
    return text


def test_a_changed_script_updates_without_duplicates_or_deletions(imported: ProjectStore):
    first = imported.locate("1/1/1", "shot").shot
    assert first is not None
    take = imported.takes.add_take(first.id, png(), Recipe(prompt="waves"), commit=False)
    cliff = imported.locate("2/3", "scene").scene
    assert cliff is not None and cliff.heading == "EXT. CLIFF PATH - DAWN"
    # The user edits a shot and renames a scene; the import must leave both edits alone.
    edited = imported.locate("1/3/1", "shot").shot
    assert edited is not None
    imported.update(edited.id, description="Harbour, golden light.", duration=99)
    imported.rename("2/1", "The logbook")

    report = import_script_text(imported, changed_script(), name="sample")

    assert report.scenes_added and len(report.scenes_added) == 1
    assert report.shots_updated == [first.id]
    assert report.characters_added == ["Captain Reyes"]
    assert report.kept == ["2/3"]  # the cut scene stays, with its shots
    assert headings(imported) == [
        (1, "EXT. LIGHTHOUSE - NIGHT"),
        (1, "INT. LIGHTHOUSE - LAMP ROOM - CONTINUOUS"),
        (1, "EXT. HARBOUR - DAY"),
        (1, "EXT. FERRY - DAY"),
        (2, "INT. LIGHTHOUSE - LAMP ROOM - NIGHT"),
        (2, "UNDERWATER - THE WRECK"),
        (2, "EXT. CLIFF PATH - DAWN"),
        (3, "INT. LIGHTHOUSE - LAMP ROOM - NIGHT"),
    ]
    shot = imported.locate(first.id, "shot").shot
    assert shot is not None and shot.description.startswith("Huge waves smash")
    assert [t.id for t in shot.takes] == [take.id] and shot.active_take == take.id
    kept_edit = imported.locate(edited.id, "shot").shot
    assert kept_edit is not None
    assert (kept_edit.description, kept_edit.duration) == ("Harbour, golden light.", 99)
    assert imported.locate("2/1", "scene").scene.title == "The logbook"  # type: ignore[union-attr]
    assert len(imported.project.assets.characters) == 5

    # And importing the changed script once more changes nothing.
    again = import_script_text(imported, changed_script(), name="sample")
    assert not again.changed


def test_existing_characters_are_reused(project: ProjectStore):
    ava = project.assets.create("characters", "Ava", description="Our lead.")
    report = import_script(project, SAMPLE)
    assert "Ava" not in report.characters_added
    ids = [c.asset_id for c in project.project.assets.characters if c.name.casefold() == "ava"]
    assert ids == [ava.asset_id]


def test_without_acts_scenes_spread_over_the_structure(project: ProjectStore):
    script = "\n\n".join(f"INT. ROOM {n} - DAY\n\nSomething happens." for n in range(1, 11))
    import_script_text(project, script)
    per_chapter = [len(c.scenes) for c in project.project.narrative.chapters]
    assert sum(per_chapter) == 10 and all(per_chapter)
    assert per_chapter[1] >= per_chapter[0]  # the middle act is the longest


def test_one_shot_per_scene(project: ProjectStore):
    report = import_script(project, SAMPLE, split="scene")
    assert len(report.scenes_added) == len(report.shots_added) == 7


def test_importing_the_kept_document_makes_no_copy(imported: ProjectStore):
    (doc,) = imported.documents.list("screenplay")
    import_script(imported, imported.path / doc.path, title="Another title")
    assert [d.id for d in imported.documents.list()] == [doc.id]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Just some words.\n\nNo headings at all.\n", "no scene headings"),
        (b"INT. A - DAY\n\n/* never closed\n", "line 3: a boneyard comment"),
        (b"INT. A - DAY\n\n\xff\xfe caf\xe9\n", "not UTF-8 text"),
        (b"", "no scene headings"),
    ],
)
def test_bad_scripts_are_refused_and_change_nothing(
    project: ProjectStore, tmp_path: Path, content: bytes, message: str
):
    path = tmp_path / "bad.fountain"
    path.write_bytes(content)
    before = snapshot(project)
    with pytest.raises(FountainError, match=message):
        import_script(project, path)
    assert snapshot(project) == before


def test_a_missing_file_is_named(project: ProjectStore, tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="no such screenplay file") as caught:
        import_script(project, tmp_path / "nope.fountain")
    assert caught.value.filename == str(tmp_path / "nope.fountain")
