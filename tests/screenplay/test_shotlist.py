"""The shot list as CSV: export, edit, import back."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from auteur.storage import ProjectStore
from auteur.storage.script_import import import_script
from auteur.storage.shotlist import (
    SHOT_LIST_COLUMNS,
    ShotListError,
    import_shot_list,
    shot_list_csv,
)

SAMPLE = Path(__file__).parents[1] / "data" / "sample.fountain"

pytestmark = pytest.mark.git


@pytest.fixture
def imported(project: ProjectStore) -> ProjectStore:
    import_script(project, SAMPLE)
    return project


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def write(table: list[dict[str, str]], columns: tuple[str, ...] = SHOT_LIST_COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(table)
    return out.getvalue()


def test_export_lists_every_shot_in_story_order(imported: ProjectStore):
    table = rows(shot_list_csv(imported))
    assert [r["address"] for r in table][:4] == ["1/1/1", "1/1/2", "1/2/1", "1/3/1"]
    assert len(table) == 11
    first = table[0]
    assert first["code"] == "S01_S01"
    assert first["scene"] == "EXT. LIGHTHOUSE - NIGHT"
    assert (first["characters"], first["location"]) == ("Ava", "Lighthouse")
    assert first["dialogue"] == "AVA: I promised I would never come back."
    assert first["seconds"] == f"{int(first['duration']) / 24:.2f}"


def test_round_trip_changes_nothing(imported: ProjectStore):
    text = shot_list_csv(imported)
    revision = imported.revision
    report = import_shot_list(imported, text)
    assert not report.changed and report.unchanged == 11
    assert imported.revision == revision
    assert shot_list_csv(imported) == text


def test_edits_come_back(imported: ProjectStore):
    table = rows(shot_list_csv(imported))
    table[0].update(
        description="Storm over the lighthouse.",
        framing="Extreme wide",  # spreadsheet spelling of extreme-wide
        duration="72",
        characters="Ava; ben",
        location="Harbour",
    )
    table.append({"address": "1/2", "description": "Insert: the logbook.", "framing": "insert"})
    report = import_shot_list(imported, write(table))
    shot = imported.locate("1/1/1", "shot").shot
    assert shot is not None and report.updated == [shot.id]
    assert (shot.description, shot.framing, shot.duration) == (
        "Storm over the lighthouse.",
        "extreme-wide",
        72,
    )
    names = {c.asset_id: c.name for c in imported.project.assets.characters}
    assert [names[c] for c in shot.characters] == ["Ava", "Ben"]
    harbour = next(x for x in imported.project.assets.locations if x.name == "Harbour")
    assert shot.location == harbour.asset_id and shot.id in harbour.usage
    (added,) = report.added
    new = imported.locate(added, "shot")
    assert new.address == "1/2/2" and new.shot.framing == "insert"  # type: ignore[union-attr]


def test_bad_rows_are_all_reported_and_nothing_changes(imported: ProjectStore):
    table = rows(shot_list_csv(imported))
    table[0]["framing"] = "sideways"
    table[1]["duration"] = "two seconds"
    table[2]["characters"] = "Nobody"
    table[3]["shot_id"] = "shot-000000000000"
    before = shot_list_csv(imported)
    with pytest.raises(ShotListError) as caught:
        import_shot_list(imported, write(table))
    problems = caught.value.problems
    assert len(problems) == 4
    assert problems[0].startswith("row 2: framing: 'sideways' is not a framing")
    assert "row 3: duration: 'two seconds' is not a whole number" in problems[1]
    assert "row 4: characters: no character named 'Nobody'" in problems[2]
    assert "row 5: nothing in the project has the id 'shot-000000000000'" in problems[3]
    assert shot_list_csv(imported) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("code,title\nS01_S01,x\n", "neither a shot_id nor an address column"),
        ("address,title\n1,Chapter\n", "is a chapter"),
    ],
)
def test_malformed_shot_lists(imported: ProjectStore, text: str, message: str):
    with pytest.raises(ShotListError, match=message):
        import_shot_list(imported, text)
