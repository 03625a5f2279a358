"""Canvas commands: typed wiring, usage kept in step, persistence, undo and redo."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auteur.render.prompt import assemble_prompt
from auteur.storage import PROJECT_FILE, ProjectStore, StoreError, Workspace


@pytest.fixture
def film(workspace: Workspace) -> dict[str, Any]:
    """One scene with two shots, a character, a location and a style; no auto-commit."""
    path = workspace.create_project("Canvas Film").path
    store = ProjectStore.open(path, workspace.settings.model_copy(update={"auto_commit": False}))
    ava = store.assets.create_character("Ava").asset_id
    diner = store.assets.create("locations", "Diner").asset_id
    noir = store.assets.create("styles", "Noir").asset_id
    scene = store.add_scene("1", "Diner")
    one = store.add_shot(scene.id, "Ava at the counter")
    two = store.add_shot(scene.id, "Close on the coffee")
    return {
        "store": store,
        "scene": scene.id,
        "ava": ava,
        "diner": diner,
        "noir": noir,
        "one": one.id,
        "two": two.id,
    }


def shot(store: ProjectStore, shot_id: str) -> Any:
    found = store.locate(shot_id, "shot").shot
    assert found is not None
    return found


def usage(store: ProjectStore, asset_id: str) -> list[str]:
    return next(a.usage for a in store.assets.list() if a.asset_id == asset_id)


def test_nodes_are_added_moved_and_kept_per_scene(film: dict[str, Any]) -> None:
    store: ProjectStore = film["store"]
    other = store.add_scene("2", "Pier")
    char = store.canvas.add_node(film["scene"], "character", film["ava"], x=10, y=20)
    prompt = store.canvas.add_node(film["scene"], "prompt", text="rain")
    store.canvas.add_node(other.id, "character", film["ava"])
    assert [n["id"] for n in store.canvas.nodes(film["scene"])] == [char["id"], prompt["id"]]
    assert len(store.canvas.nodes(other.id)) == 1
    store.canvas.move_node(char["id"], 50, 60)
    assert store.canvas.node(char["id"])["position"] == {"x": 50.0, "y": 60.0}
    store.canvas.update_node(prompt["id"], text="rain on glass")
    assert store.canvas.node(prompt["id"])["data"]["text"] == "rain on glass"


@pytest.mark.parametrize(
    ("kind", "ref", "params", "message"),
    [
        ("spaceship", None, {}, "no canvas node type 'spaceship'"),  # unknown type
        ("character", None, {}, "needs the character"),  # an asset node names its asset
        ("character", "char-nobody", {}, "no character with the id"),  # which must exist
        ("prompt", None, {"volume": 3}, "has no parameter volume"),  # unknown parameter
    ],
)
def test_bad_nodes_are_refused(
    film: dict[str, Any], kind: str, ref: str | None, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        film["store"].canvas.add_node(film["scene"], kind, ref, **params)


def test_incompatible_connection_is_refused_and_changes_nothing(film: dict[str, Any]) -> None:
    store: ProjectStore = film["store"]
    char = store.canvas.add_node(film["scene"], "character", film["ava"])
    render = store.canvas.add_node(film["scene"], "shot", film["one"])
    before = (store.path / PROJECT_FILE).read_bytes()
    with pytest.raises(StoreError, match="cannot connect LoRA reference"):
        store.canvas.connect(char["id"], "lora", render["id"], "aesthetic")
    assert (store.path / PROJECT_FILE).read_bytes() == before
    assert store.canvas.edges(film["scene"]) == []
    assert shot(store, film["one"]).characters == []


def test_wiring_casts_and_unwiring_uncasts(film: dict[str, Any]) -> None:
    store: ProjectStore = film["store"]
    ava, diner, noir, one = film["ava"], film["diner"], film["noir"], film["one"]
    char = store.canvas.add_node(film["scene"], "character", ava)
    place = store.canvas.add_node(film["scene"], "location", diner)
    look = store.canvas.add_node(film["scene"], "style", noir)
    render = store.canvas.add_node(film["scene"], "shot", one)
    lora = store.canvas.connect(char["id"], "lora", render["id"], "identity")
    face = store.canvas.connect(char["id"], "face", render["id"], "identity")
    store.canvas.connect(place["id"], "context", render["id"], "context")
    store.canvas.connect(look["id"], "aesthetic", render["id"], "aesthetic")
    cast = shot(store, one)
    assert (cast.characters, cast.location, cast.style) == ([ava], diner, noir)
    assert usage(store, ava) == usage(store, diner) == usage(store, noir) == [one]

    # One of two edges from Ava goes: she is still wired in.
    store.canvas.disconnect(lora["id"])
    assert shot(store, one).characters == [ava]
    store.canvas.disconnect(face["id"])
    assert shot(store, one).characters == [] and usage(store, ava) == []

    # Deleting the asset side uncasts it; deleting the shot side uncasts the rest.
    store.canvas.remove_node(place["id"])
    assert shot(store, one).location is None and usage(store, diner) == []
    store.canvas.remove_node(render["id"])
    assert shot(store, one).style is None and usage(store, noir) == []
    assert store.canvas.edges(film["scene"]) == []
    assert store.assets.usage_problems() == []


def test_shot_node_of_another_scene_is_refused(film: dict[str, Any]) -> None:
    store: ProjectStore = film["store"]
    other = store.add_scene("2", "Pier")
    with pytest.raises(StoreError, match="own scene"):
        store.canvas.add_node(other.id, "shot", film["one"])


def test_graph_persists_in_project_json_and_reopens(film: dict[str, Any]) -> None:
    store: ProjectStore = film["store"]
    char = store.canvas.add_node(film["scene"], "character", film["ava"], x=1, y=2)
    render = store.canvas.add_node(film["scene"], "shot", film["one"], seed=7, quality="high")
    edge = store.canvas.connect(char["id"], "trigger", render["id"], "identity")
    store.canvas.set_viewport(film["scene"], 10, 20, 1.25)
    data = json.loads((store.path / PROJECT_FILE).read_text())
    assert {n["id"] for n in data["canvas"]["nodes"]} == {char["id"], render["id"]}
    assert data["canvas"]["edges"][0]["id"] == edge["id"]
    again = ProjectStore.open(store.path, store.settings)
    assert again.canvas.nodes(film["scene"]) == store.canvas.nodes(film["scene"])
    assert again.canvas.edges(film["scene"]) == [edge]
    assert again.canvas.viewport(film["scene"]) == {"x": 10.0, "y": 20.0, "zoom": 1.25}
    assert again.canvas.node(render["id"])["data"]["seed"] == 7
    assert shot(again, film["one"]).characters == [film["ava"]]


def prompt_identity(store: ProjectStore, shot_id: str) -> list[str]:
    found = store.locate(shot_id, "shot")
    return assemble_prompt(store.project, found.scene, found.shot).identity


def test_prompt_nodes_feed_the_render_prompt(film: dict[str, Any]) -> None:
    store: ProjectStore = film["store"]
    render = store.canvas.add_node(film["scene"], "shot", film["one"])
    words = store.canvas.add_node(film["scene"], "prompt", text="neon rain")
    char = store.canvas.add_node(film["scene"], "character", film["ava"])
    found = store.locate(film["one"], "shot")
    before = assemble_prompt(store.project, found.scene, found.shot).text
    assert "neon rain" not in before and prompt_identity(store, film["one"]) == []
    store.canvas.connect(words["id"], "text", render["id"], "prompt")
    store.canvas.connect(char["id"], "trigger", render["id"], "identity")
    found = store.locate(film["one"], "shot")
    prompt = assemble_prompt(store.project, found.scene, found.shot)
    assert prompt.direct[:2] == ["Ava at the counter", "neon rain"]
    assert prompt_identity(store, film["one"]) == ["Ava"]
    # Other shots are untouched by this node's wiring.
    other = store.locate(film["two"], "shot")
    assert "neon rain" not in assemble_prompt(store.project, other.scene, other.shot).text


def test_canvas_edits_join_undo_and_redo(film: dict[str, Any]) -> None:
    store: ProjectStore = film["store"]
    char = store.canvas.add_node(film["scene"], "character", film["ava"])
    render = store.canvas.add_node(film["scene"], "shot", film["one"])
    store.canvas.connect(char["id"], "lora", render["id"], "identity")
    assert store.undo() is not None
    assert store.canvas.edges(film["scene"]) == []
    assert shot(store, film["one"]).characters == [] and usage(store, film["ava"]) == []
    store.redo()
    assert len(store.canvas.edges(film["scene"])) == 1
    assert shot(store, film["one"]).characters == [film["ava"]]
    assert usage(store, film["ava"]) == [film["one"]]
    store.undo()
    store.undo()
    assert [n["id"] for n in store.canvas.nodes(film["scene"])] == [char["id"]]


def test_nodes_whose_item_was_deleted_can_still_be_removed(film: dict[str, Any]) -> None:
    store: ProjectStore = film["store"]
    char = store.canvas.add_node(film["scene"], "character", film["ava"])
    render = store.canvas.add_node(film["scene"], "shot", film["one"])
    store.canvas.connect(char["id"], "lora", render["id"], "identity")
    store.remove(film["one"], force=True)  # the shot goes; usage follows through the store
    assert usage(store, film["ava"]) == []
    assert store.canvas.referent(store.canvas.node(render["id"])) is None
    store.canvas.remove_node(render["id"])
    store.canvas.remove_node(char["id"])
    assert store.canvas.nodes(film["scene"]) == []


def test_a_take_viewer_shows_one_render_nodes_takes(film: dict[str, Any]) -> None:
    store: ProjectStore = film["store"]
    char = store.canvas.add_node(film["scene"], "character", film["ava"])
    one = store.canvas.add_node(film["scene"], "shot", film["one"])
    two = store.canvas.add_node(film["scene"], "shot", film["two"])
    viewer = store.canvas.add_node(film["scene"], "take-viewer")
    edge = store.canvas.connect(one["id"], "takes", viewer["id"], "takes")
    assert edge["sourceHandle"] == "takes" and edge["targetHandle"] == "takes"
    # it takes one render node's takes, and nothing but takes
    with pytest.raises(StoreError, match="takes"):
        store.canvas.connect(two["id"], "takes", viewer["id"], "takes")
    with pytest.raises(StoreError):
        store.canvas.connect(char["id"], "lora", viewer["id"], "takes")
    assert len(store.canvas.edges(film["scene"])) == 1
    assert shot(store, film["one"]).characters == []  # takes wiring casts nothing


def test_render_node_parameters_are_checked_and_kept(film: dict[str, Any]) -> None:
    store: ProjectStore = film["store"]
    render = store.canvas.add_node(film["scene"], "shot", film["one"])
    store.canvas.update_node(render["id"], quality="low", seed=7, pipeline="previz")
    data = ProjectStore.open(store.path).canvas.node(render["id"])["data"]
    assert (data["quality"], data["seed"], data["pipeline"]) == ("low", 7, "previz")
