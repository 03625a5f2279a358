"""Narrative templates: four structures shipped as data, each with chapters and beats."""

from __future__ import annotations

import json

import pytest

from auteur.model import NarrativeStructure, builtin_template, builtin_template_bytes

STRUCTURES = list(NarrativeStructure)


def test_there_are_four_structures():
    assert {s.value for s in STRUCTURES} == {
        "three-act",
        "hero-journey",
        "beat-sheet",
        "story-circle",
    }


@pytest.mark.parametrize("structure", STRUCTURES, ids=str)
def test_template_is_data_shipped_with_the_package(structure: NarrativeStructure):
    raw = builtin_template_bytes(structure)
    data = json.loads(raw)
    assert data["structure"] == structure.value
    assert data["chapters"] and data["emotionalBeats"]
    assert builtin_template(structure.value).structure is structure


@pytest.mark.parametrize("structure", STRUCTURES, ids=str)
def test_template_chapters_and_beats_are_consistent(structure: NarrativeStructure):
    template = builtin_template(structure)
    stages = [c.stage for c in template.chapters]
    assert len(stages) == len(set(stages)), "chapter stages are keys and must be unique"
    assert all(c.title for c in template.chapters)
    beat_stages = [b.stage for b in template.emotional_beats]
    assert len(beat_stages) == len(set(beat_stages))
    positions = [b.position for b in template.emotional_beats if b.position is not None]
    assert positions == sorted(positions), "beats follow the story"
    for beat in template.emotional_beats:
        assert beat.name
        assert beat.chapter is None or 1 <= beat.chapter <= len(template.chapters)


@pytest.mark.parametrize("structure", STRUCTURES, ids=str)
def test_make_chapters_and_beats_give_fresh_numbered_items(structure: NarrativeStructure):
    template = builtin_template(structure)
    chapters = template.make_chapters()
    assert [c.number for c in chapters] == list(range(1, len(template.chapters) + 1))
    assert [c.title for c in chapters] == [c.title for c in template.chapters]
    assert [c.template_stage for c in chapters] == [c.stage for c in template.chapters]
    assert all(c.scenes == [] for c in chapters)
    beats = template.make_beats()
    assert [b.template_stage for b in beats] == [b.stage for b in template.emotional_beats]
    again = template.make_chapters() + template.make_beats()
    assert not {x.id for x in chapters + beats} & {x.id for x in again}, "ids are fresh"


def test_chapter_for_stage():
    template = builtin_template("three-act")
    assert template.chapter_for_stage("setup").title.startswith("Act I")
    assert template.chapter_for_stage("no-such-stage") is None


def test_unknown_structure_is_refused():
    with pytest.raises(ValueError, match="five-act"):
        builtin_template("five-act")
