"""Addresses: chapters, scenes and shots found by `CH/SC/SH` numbers or by id."""

from __future__ import annotations

import pytest

from auteur.model import AddressError, Chapter, Project, Scene, Shot, locate, shot_code


@pytest.fixture
def film() -> Project:
    project = Project(name="Film")
    for c in range(1, 3):
        chapter = Chapter(id=f"chapter-{c}", number=c, title=f"Chapter {c}")
        for s in range(1, 3):
            scene = Scene(id=f"scene-{c}{s}", number=s)
            scene.shots = [Shot(id=f"shot-{c}{s}{h}", number=h) for h in range(1, 4)]
            chapter.scenes.append(scene)
        project.narrative.chapters.append(chapter)
    return project


@pytest.mark.parametrize(
    ("address", "kind", "item_id", "canonical"),
    [
        ("1", "chapter", "chapter-1", "1"),
        ("2/1", "scene", "scene-21", "2/1"),
        ("2/2/3", "shot", "shot-223", "2/2/3"),
        (" 1/2/1/ ", "shot", "shot-121", "1/2/1"),  # whitespace and a trailing slash
        ("shot-212", "shot", "shot-212", "2/1/2"),  # by id
        ("scene-12", "scene", "scene-12", "1/2"),
        ("chapter-2", "chapter", "chapter-2", "2"),
    ],
)
def test_locate(film: Project, address: str, kind: str, item_id: str, canonical: str):
    found = locate(film, address)
    assert found.kind == kind
    assert found.item.id == item_id
    assert found.address == canonical
    assert locate(film, address, kind).item is found.item


@pytest.mark.parametrize(
    ("address", "kind", "message"),
    [
        ("", None, "empty address"),
        ("3", None, "no chapter 3"),
        ("1/9", None, "no scene 9"),
        ("1/1/0", None, "no shot 0"),
        ("1/x", None, "not a number"),
        ("1/1/1/1", None, "more than CHAPTER/SCENE/SHOT"),
        ("shot-none", None, "id 'shot-none'"),
        ("1/1", "shot", "is a scene, not a shot"),
        ("shot-111", "chapter", "is a shot, not a chapter"),
    ],
)
def test_bad_addresses_say_why(film: Project, address: str, kind: str | None, message: str):
    with pytest.raises(AddressError, match=message):
        locate(film, address, kind)


def test_shot_code():
    assert shot_code(Scene(number=1), Shot(number=3)) == "S01_S03"
    assert shot_code(Scene(number=12), Shot(number=104)) == "S12_S104"
