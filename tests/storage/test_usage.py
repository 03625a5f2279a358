"""Usage tracking: casting assets into shots keeps both sides in step through every change."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from auteur.model import Recipe
from auteur.storage import PROJECT_FILE, ProjectStore, Workspace
from auteur.storage.assets import AssetError, AssetInUseError
from auteur.storage.media import TRASH_DIR


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 90, 90)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def film(workspace: Workspace) -> ProjectStore:
    """Three chapters, cast like this:

    1/1 Diner: 1/1/1 Ava, Diner, Noir · 1/1/2 Ava, Bo · 1/1/3 Bo, Diner
    2/1 Pier:  2/1/1 Ava, Noir
    3/1 Road:  3/1/1 nobody
    """
    path = workspace.create_project("Usage Film").path
    store = ProjectStore.open(path, workspace.settings.model_copy(update={"auto_commit": False}))
    ava = store.assets.create_character("Ava").asset_id
    bo = store.assets.create_character("Bo").asset_id
    diner = store.assets.create("locations", "Diner").asset_id
    noir = store.assets.create("styles", "Noir").asset_id
    store.assets.create("music", "Theme")
    for chapter, title in (("1", "Diner"), ("2", "Pier"), ("3", "Road")):
        store.add_scene(chapter, title)
    store.add_shot("1/1", "Ava at the counter", characters=[ava], location=diner, style=noir)
    store.add_shot("1/1", "Ava and Bo", characters=[ava, bo])
    store.add_shot("1/1", "Bo alone", characters=[bo], location=diner)
    store.add_shot("2/1", "Ava by the sea", characters=[ava], style=noir)
    store.add_shot("3/1", "Empty road")
    return store


def assert_in_step(store: ProjectStore) -> None:
    """Usage lists match the shots, in memory and on disk, and find_usages agrees."""
    assert store.assets.usage_problems() == []
    for asset in store.assets.list():
        usages = store.assets.find_usages(asset.asset_id)
        assert sorted(asset.usage) == sorted(s.shot_id for s in usages.shots)
        assert len(set(asset.usage)) == len(asset.usage)
        for use in usages.shots:
            shot = store.locate(use.address, "shot").shot
            assert shot is not None and shot.id == use.shot_id
            assert asset.asset_id in (*shot.characters, shot.location, shot.style)
    reloaded = ProjectStore.open(store.path, store.settings)
    assert reloaded.assets.usage_problems() == []
    on_disk = {a.asset_id: sorted(a.usage) for a in reloaded.assets.list()}
    assert on_disk == {a.asset_id: sorted(a.usage) for a in store.assets.list()}


def addresses(store: ProjectStore, name: str) -> list[str]:
    return [s.address for s in store.assets.find_usages(name).shots]


def asset_id(store: ProjectStore, name: str) -> str:
    return store.assets.get(name).asset_id


# Each hierarchy operation, the asset to look at, and where it is used afterwards.
OPERATIONS: list[tuple[str, Callable[[ProjectStore], Any], str, list[str]]] = [
    (
        "add a shot casting her",
        lambda s: s.add_shot("3/1", "Ava on the road", characters=[asset_id(s, "Ava")]),
        "Ava",
        ["1/1/1", "1/1/2", "2/1/1", "3/1/2"],
    ),
    (
        "insert a shot before hers",
        lambda s: s.add_shot("1/1", "Establishing", position=1),
        "Ava",
        ["1/1/2", "1/1/3", "2/1/1"],
    ),
    (
        "cast by updating a shot",
        lambda s: s.update("3/1/1", characters=[asset_id(s, "Bo"), asset_id(s, "Ava")]),
        "Ava",
        ["1/1/1", "1/1/2", "2/1/1", "3/1/1"],
    ),
    (
        "uncast by updating a shot",
        lambda s: s.update("1/1/2", characters=[asset_id(s, "Bo")]),
        "Ava",
        ["1/1/1", "2/1/1"],
    ),
    (
        "cast through the library",
        lambda s: s.assets.cast("Ava", "3/1/1"),
        "Ava",
        ["1/1/1", "1/1/2", "2/1/1", "3/1/1"],
    ),
    (
        "uncast through the library",
        lambda s: s.assets.uncast("Ava", "1/1/1"),
        "Ava",
        ["1/1/2", "2/1/1"],
    ),
    (
        "recast a location onto another shot's place",
        lambda s: s.assets.cast("Diner", "2/1/1"),
        "Diner",
        ["1/1/1", "1/1/3", "2/1/1"],
    ),
    (
        "clear a location",
        lambda s: s.update("1/1/3", location=None),
        "Diner",
        ["1/1/1"],
    ),
    (
        "move a shot within its scene",
        lambda s: s.move("1/1/1", 3),
        "Ava",
        ["1/1/1", "1/1/3", "2/1/1"],
    ),
    (
        "move a shot to another scene",
        lambda s: s.move("1/1/2", 1, parent="3/1"),
        "Ava",
        ["1/1/1", "2/1/1", "3/1/1"],
    ),
    (
        "move a scene to another chapter",
        lambda s: s.move("1/1", 1, parent="2"),
        "Ava",
        ["2/1/1", "2/1/2", "2/2/1"],
    ),
    (
        "move a chapter",
        lambda s: s.move("2", 1),
        "Ava",
        ["1/1/1", "2/1/1", "2/1/2"],
    ),
    (
        "remove a shot",
        lambda s: s.remove("1/1/2"),
        "Ava",
        ["1/1/1", "2/1/1"],
    ),
    (
        "remove a shot with takes",
        lambda s: (s.takes.add_take("1/1/1", png_bytes(), Recipe()), s.remove("1/1/1", force=True)),
        "Ava",
        ["1/1/1", "2/1/1"],
    ),
    (
        "remove a scene",
        lambda s: s.remove("1/1", force=True),
        "Ava",
        ["2/1/1"],
    ),
    (
        "remove a chapter",
        lambda s: s.remove("1", force=True),
        "Noir",
        ["1/1/1"],
    ),
    (
        "delete an asset by force",
        lambda s: s.assets.delete("Bo", force=True),
        "Ava",
        ["1/1/1", "1/1/2", "2/1/1"],
    ),
    (
        "repair after nothing went wrong",
        lambda s: s.assets.repair_usage(),
        "Ava",
        ["1/1/1", "1/1/2", "2/1/1"],
    ),
]


@pytest.mark.parametrize(
    ("operation", "name", "expected"),
    [case[1:] for case in OPERATIONS],
    ids=[case[0] for case in OPERATIONS],
)
def test_usage_stays_in_step_after_every_hierarchy_operation(
    film: ProjectStore,
    operation: Callable[[ProjectStore], Any],
    name: str,
    expected: list[str],
) -> None:
    assert_in_step(film)
    operation(film)
    assert addresses(film, name) == expected
    assert_in_step(film)


def test_find_usages_returns_every_scene_and_shot(film: ProjectStore) -> None:
    usages = film.assets.find_usages("ava")  # by name, any case
    assert [(s.address, s.title) for s in usages.scenes] == [("1/1", "Diner"), ("2/1", "Pier")]
    assert [(s.address, s.code) for s in usages.shots] == [
        ("1/1/1", "S01_S01"),
        ("1/1/2", "S01_S02"),
        ("2/1/1", "S01_S01"),
    ]
    assert usages.scenes[0].shot_ids == (usages.shots[0].shot_id, usages.shots[1].shot_id)
    assert film.assets.find_usages(asset_id(film, "Ava")) == usages  # by id
    assert not film.assets.find_usages("Theme")


def test_casting_emits_character_usage_updated(film: ProjectStore) -> None:
    seen: list[Any] = []
    film.bus.subscribe(seen.append, types=["character_usage_updated"])
    empty_road = film.locate("3/1/1").shot.id
    film.assets.cast("Bo", "3/1/1")
    film.remove("3/1/1")
    bo = asset_id(film, "Bo")
    assert [(e.asset_id, empty_road in e.usage) for e in seen] == [(bo, True), (bo, False)]
    assert seen[-1].usage == film.assets.get("Bo").usage


def test_casting_is_checked(film: ProjectStore) -> None:
    with pytest.raises(AssetError, match="music is not cast into shots"):
        film.assets.cast("Theme", "1/1/1")
    with pytest.raises(AssetError, match="does not use 'Bo'"):
        film.assets.uncast("Bo", "1/1/1")
    film.assets.cast("Ava", "1/1/1")  # already cast: nothing changes
    assert addresses(film, "Ava") == ["1/1/1", "1/1/2", "2/1/1"]
    assert_in_step(film)


def test_deleting_an_asset_in_use_is_refused_and_lists_its_users(film: ProjectStore) -> None:
    before = (film.path / PROJECT_FILE).read_bytes()
    with pytest.raises(AssetInUseError) as refused:
        film.assets.delete("Ava")
    message = str(refused.value)
    assert "used by 3 shot(s) in 2 scene(s)" in message
    assert "1/1/1 S01_S01 'Ava at the counter'" in message
    assert "1/1/2 S01_S02" in message and "2/1/1 S01_S01" in message
    assert "force" in message
    assert [s.address for s in refused.value.usages.shots] == ["1/1/1", "1/1/2", "2/1/1"]
    assert (film.path / PROJECT_FILE).read_bytes() == before


def test_a_forced_delete_takes_the_asset_out_of_its_shots(film: ProjectStore) -> None:
    diner = film.assets.get("Diner")
    film.assets.add_reference(diner, ("inside.png", png_bytes()))
    trashed = film.assets.delete("Diner", force=True)
    assert trashed == f"{TRASH_DIR}/{diner.folder}"
    assert (film.path / trashed / "references" / "inside.png").is_file()
    assert not (film.path / str(diner.folder)).exists()
    assert [film.locate(a).shot.location for a in ("1/1/1", "1/1/3")] == [None, None]
    with pytest.raises(AssetError, match="no asset named 'Diner'"):
        film.assets.get("Diner")
    assert_in_step(film)
    assert film.assets.delete("Theme") == f"{TRASH_DIR}/01_Assets/Music/theme"  # unused


def test_repair_rebuilds_usage_lists_edited_by_hand(film: ProjectStore) -> None:
    manifest = json.loads((film.path / PROJECT_FILE).read_text())
    manifest["assets"]["characters"][0]["usage"] = ["shot-ghost", "shot-ghost"]
    manifest["assets"]["locations"][0]["usage"] = []
    (film.path / PROJECT_FILE).write_text(json.dumps(manifest))
    store = ProjectStore.open(film.path, film.settings)
    problems = store.assets.usage_problems()
    assert "Ava" in problems[0] and any("shot-ghost" in p for p in problems)
    assert any(p.startswith("Diner") for p in problems)
    assert store.assets.repair_usage() == 2
    assert_in_step(store)
