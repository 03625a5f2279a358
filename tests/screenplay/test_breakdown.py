"""Breaking a screenplay down: headings, names, acts, draft shots and their keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from auteur.model.fountain import parse_fountain
from auteur.model.screenplay import (
    ShotSplit,
    break_down,
    display_name,
    name_key,
    parse_heading,
)

SAMPLE = Path(__file__).parents[1] / "data" / "sample.fountain"


@pytest.fixture(scope="module")
def sample():
    return parse_fountain(SAMPLE.read_text(encoding="utf-8"), SAMPLE.name)


@pytest.mark.parametrize(
    ("heading", "int_ext", "location", "time"),
    [
        ("INT. LIGHTHOUSE - NIGHT", "INT", "LIGHTHOUSE", "NIGHT"),
        ("EXT. LIGHTHOUSE - LAMP ROOM - CONTINUOUS", "EXT", "LIGHTHOUSE - LAMP ROOM", "CONTINUOUS"),
        ("INT./EXT. CAR - DAY", "INT/EXT", "CAR", "DAY"),
        ("I/E CAR - LATE NIGHT", "INT/EXT", "CAR", "LATE NIGHT"),
        ("EST. CITY", "EST", "CITY", None),
        ("INT. HOUSE - KITCHEN", "INT", "HOUSE - KITCHEN", None),  # KITCHEN is no time of day
        ("EXT. PIER \u2014 DAWN", "EXT", "PIER", "DAWN"),  # em dash
        ("SNIPER SCOPE POV", None, None, None),  # forced heading: no location
    ],
)
def test_parse_heading(heading: str, int_ext: str | None, location: str | None, time: str | None):
    parsed = parse_heading(heading)
    assert (parsed.int_ext, parsed.location, parsed.time_of_day) == (int_ext, location, time)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("AVA", "Ava"),
        ("DR. SMITH", "Dr. Smith"),
        ("MRS. O'BRIEN", "Mrs. O'Brien"),
        ("MARY-JANE", "Mary-Jane"),
        ("HOUSE OF CARDS", "House of Cards"),
        ("HENRY VIII", "Henry VIII"),
        ("McCLANE", "McCLANE"),  # mixed case is the writer's choice
    ],
)
def test_display_name(name: str, shown: str):
    assert display_name(name) == shown


def test_name_key_merges_cue_variants():
    keys = {name_key(n) for n in ["AVA (V.O.)", "Ava", "ava", "AVA (CONT'D)", " AVA "]}
    assert keys == {"ava"}
    assert name_key("DR. SMITH") == name_key("Dr Smith")


def test_sample_scenes_acts_characters_and_locations(sample):
    breakdown = break_down(sample)
    assert breakdown.title == "THE LIGHTHOUSE KEEPER"
    assert breakdown.acts == ["ACT ONE", "ACT TWO", "ACT THREE"]
    assert [s.heading.text for s in breakdown.scenes] == [
        "EXT. LIGHTHOUSE - NIGHT",
        "INT. LIGHTHOUSE - LAMP ROOM - CONTINUOUS",
        "EXT. HARBOUR - DAY",
        "INT. LIGHTHOUSE - LAMP ROOM - NIGHT",
        "UNDERWATER - THE WRECK",
        "EXT. CLIFF PATH - DAWN",
        "INT. LIGHTHOUSE - LAMP ROOM - NIGHT",
    ]
    assert [s.act for s in breakdown.scenes] == ["ACT ONE"] * 3 + ["ACT TWO"] * 3 + ["ACT THREE"]
    assert breakdown.characters == ["Ava", "Ben", "McCLANE", "Mrs. O'Brien"]
    assert breakdown.locations == ["Lighthouse", "Lighthouse - Lamp Room", "Harbour", "Cliff Path"]
    assert breakdown.scenes[1].synopsis == "The keeper is not alone."
    assert breakdown.warnings == []


def test_repeated_headings_get_distinct_keys(sample):
    keys = [s.key for s in break_down(sample).scenes]
    assert len(set(keys)) == len(keys)
    assert keys[3] == "int. lighthouse - lamp room - night@1"
    assert keys[6] == "int. lighthouse - lamp room - night@2"


def test_a_scene_number_is_the_key():
    breakdown = break_down(parse_fountain("INT. HOUSE - DAY #7#\n\nAva waits."))
    assert breakdown.scenes[0].key == "#7"


@pytest.mark.parametrize(
    ("split", "shots_per_scene"),
    [
        (ShotSplit.ACTION, [2, 1, 1, 1, 2, 2, 2]),
        (ShotSplit.SPEECH, [3, 4, 2, 2, 2, 2, 4]),
        (ShotSplit.SCENE, [1, 1, 1, 1, 1, 1, 1]),
    ],
)
def test_shot_splits(sample, split: ShotSplit, shots_per_scene: list[int]):
    breakdown = break_down(sample, split)
    assert [len(s.shots) for s in breakdown.scenes] == shots_per_scene


def test_a_draft_shot_holds_its_passage(sample):
    scene = break_down(sample).scenes[1]
    (shot,) = scene.shots
    assert shot.action.startswith("The great lamp turns slowly.")
    assert [s.speaker for s in shot.speeches] == ["Ben", "Ava", "Ben", "McCLANE"]
    assert shot.speeches[0].parenthetical == "(without turning)"
    assert shot.speeches[1].dual and shot.speeches[2].dual
    assert "BEN ^\nThey all stop, sooner or later." in shot.source_text
    # Dialogue makes the shot long enough to be spoken: 18 words at 2.5 words a second.
    assert shot.duration(fps=24, default_frames=48) == 173


def test_speakers_and_characters_seen_in_the_action(sample):
    scenes = break_down(sample).scenes
    assert scenes[0].shots[1].characters == ["Ava"]  # "AVA (30s, soaked...)" in the action
    assert scenes[2].characters == ["Mrs. O'Brien"]
    assert scenes[4].characters == []


def test_known_names_count_as_appearing():
    screenplay = parse_fountain("INT. HOUSE - DAY\n\nThe Captain walks in.")
    (shot,) = break_down(screenplay, known_names=["Captain"]).scenes[0].shots
    assert shot.characters == ["Captain"]


def test_a_heading_alone_makes_an_establishing_shot():
    breakdown = break_down(parse_fountain("EXT. CITY - DAY\n\nINT. HOUSE - DAY\n\nAva waits."))
    assert breakdown.scenes[0].shots[0].description == "EXT. CITY - DAY"


def test_text_before_the_first_heading_is_reported():
    breakdown = break_down(parse_fountain("FADE IN:\n\nA prologue.\n\nINT. HOUSE - DAY\n\nAva."))
    assert breakdown.warnings == [
        "line 3 comes before the first scene heading and was not imported"
    ]
    assert len(breakdown.scenes) == 1
