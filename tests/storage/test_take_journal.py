"""The take journal: takes are registered by appending a line, folded into the scene file later."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auteur.model import Recipe
from auteur.storage import ProjectStore, Workspace
from auteur.storage.manifest import scene_file, take_journal
from tests.storage.test_takes import png_bytes, reopen


@pytest.fixture
def film(workspace: Workspace) -> ProjectStore:
    """Scene 1/1 with two shots; takes not committed; a journal folded every 5 takes."""
    store = reopen(
        workspace.create_project("Journal Film"), auto_commit=False, take_journal_limit=5
    )
    store.add_scene("1", "Diner")
    store.add_shot("1/1", "Wide")
    store.add_shot("1/1", "Close")
    return store


def add(store: ProjectStore, shot: str, seed: int) -> Any:
    return store.takes.add_take(shot, png_bytes(seed), Recipe(pipeline_id="previz", seed=seed))


def take_ids(store: ProjectStore, address: str) -> list[str]:
    return [t.id for t in store.locate(address, "shot").shot.takes]


def test_a_take_is_journalled_not_rewritten_into_the_scene_file(film: ProjectStore) -> None:
    scene = film.locate("1/1").scene
    before = scene_file(film.path, scene.id).read_bytes()
    take = add(film, "1/1/1", 1)
    assert scene_file(film.path, scene.id).read_bytes() == before
    lines = take_journal(film.path, scene.id).read_text().splitlines()
    assert [json.loads(line)["take"]["id"] for line in lines] == [take.id]
    again = reopen(film)
    assert take_ids(again, "1/1/1") == [take.id]
    assert again.locate("1/1/1").shot.active_take == take.id


def test_the_journal_is_folded_into_the_scene_file_at_its_limit(film: ProjectStore) -> None:
    scene = film.locate("1/1").scene
    takes = [add(film, f"1/1/{1 + n % 2}", n) for n in range(7)]
    journal = take_journal(film.path, scene.id)
    assert len(journal.read_text().splitlines()) == 1  # folded at 5, then one more line
    data = json.loads(scene_file(film.path, scene.id).read_bytes())
    assert sum(data["takeCounts"].values()) == 6
    again = reopen(film)
    assert sorted(take_ids(again, "1/1/1") + take_ids(again, "1/1/2")) == sorted(
        t.id for t in takes
    )


def test_any_scene_write_folds_the_journal_in(film: ProjectStore) -> None:
    scene = film.locate("1/1").scene
    take = add(film, "1/1/1", 1)
    film.update("1/1/2", description="Close on Ava")
    assert not take_journal(film.path, scene.id).exists()
    assert take_ids(reopen(film), "1/1/1") == [take.id]


def test_a_deleted_take_stays_deleted_after_its_journal_line(film: ProjectStore) -> None:
    first, second = add(film, "1/1/1", 1), add(film, "1/1/1", 2)
    film.takes.delete("1/1/1", first.id)
    assert take_ids(reopen(film), "1/1/1") == [second.id]


def test_another_store_sees_journalled_takes(film: ProjectStore) -> None:
    other = reopen(film)
    assert take_ids(other, "1/1/1") == []
    take = add(film, "1/1/1", 1)
    assert other.refresh()
    assert take_ids(other, "1/1/1") == [take.id]
    # and its own next take is numbered after it, in the same journal
    mine = add(other, "1/1/1", 2)
    assert mine.number == 2
    assert take_ids(reopen(film), "1/1/1") == [take.id, mine.id]


def test_a_line_cut_short_by_a_crash_is_skipped(film: ProjectStore) -> None:
    take = add(film, "1/1/1", 1)
    journal = take_journal(film.path, film.locate("1/1").scene.id)
    with journal.open("ab") as handle:
        handle.write(b'{"revision": 999999, "shotId": "sh')
    assert take_ids(reopen(film), "1/1/1") == [take.id]


def test_journal_lines_older_than_the_scene_file_are_not_applied_twice(
    film: ProjectStore,
) -> None:
    scene = film.locate("1/1").scene
    take = add(film, "1/1/1", 1)
    journal = take_journal(film.path, scene.id)
    kept = journal.read_bytes()
    film.update("1/1/1", description="Wide on the diner")  # folds the journal in
    journal.write_bytes(kept)  # as if a crash had kept it
    assert take_ids(reopen(film), "1/1/1") == [take.id]


def test_undo_and_redo_never_add_or_remove_takes(film: ProjectStore) -> None:
    film.update("1/1/1", description="Wide on the diner")
    early = add(film, "1/1/1", 1)
    film.update("1/1/2", description="Close on Ava")  # folds the take into the scene file
    late = add(film, "1/1/1", 2)
    assert film.undo() is not None
    assert film.locate("1/1/2").shot.description == "Close"
    assert take_ids(film, "1/1/1") == [early.id, late.id]
    assert film.undo() is not None
    assert film.locate("1/1/1").shot.description == "Wide"
    assert take_ids(film, "1/1/1") == [early.id, late.id]
    assert film.redo() is not None
    assert take_ids(reopen(film), "1/1/1") == [early.id, late.id]
