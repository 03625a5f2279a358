"""The production canvas in a real browser: wire a character into a shot render and generate.

Screenshots are saved under artifacts/ui (or $AUTEUR_TEST_ARTIFACTS).
"""

from __future__ import annotations

import re

import pytest

from auteur.storage import ProjectStore

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api").expect


def add_node(page, kind: str, item: str | None = None) -> None:
    page.get_by_label("Node type").select_option(label=kind)
    if item is not None:
        page.get_by_label("Stands for").select_option(label=item)
    page.get_by_role("button", name="Add node").click()


def handle(page, node_id: str, port: str):
    """The handle of port `port` on canvas node `node_id`."""
    return page.locator(f'.react-flow__node[data-id="{node_id}"] [data-handleid="{port}"]')


def drag(page, source, target) -> None:
    """Drag from one handle to another with the mouse, as a user connects ports."""
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 8, start["y"] + start["height"] / 2 + 8)
    # The drag has begun: the studio marks the ports that fit, as a user sees before dropping.
    expect(target).to_have_class(re.compile(r"\brf-handle-(valid|invalid)\b"), timeout=15_000)
    steps = 12
    for i in range(1, steps + 1):
        x = start["x"] + (end["x"] - start["x"]) * i / steps + end["width"] / 2
        y = start["y"] + (end["y"] - start["y"]) * i / steps + end["height"] / 2
        page.mouse.move(x, y)
    page.mouse.up()


def test_wire_a_character_into_a_shot_and_generate(page, studio_server, studio_project, screenshot):
    store: ProjectStore = studio_project(quality="low")
    ava = store.assets.create_character("Ava").asset_id
    scene = store.add_scene("1", "Diner")
    shot = store.add_shot(scene.id, "Ava wipes the counter", framing="medium")
    page.goto(studio_server.url_for(store.path.name))
    page.get_by_role("treeitem", name="1.1 Diner").click()
    page.get_by_text("Canvas", exact=True).click()
    expect(page.get_by_text("Canvas of scene 1.1: Diner")).to_be_visible()

    add_node(page, "Character", "Ava")
    add_node(page, "Shot render", "S01_S01")
    expect(page.locator(".react-flow__node")).to_have_count(2)
    store.refresh()
    char_node, shot_node = (n["id"] for n in store.canvas.nodes(scene.id))
    screenshot(page, "nodes")

    # An incompatible pair is refused with a message, and nothing is cast.
    drag(page, handle(page, char_node, "lora"), handle(page, shot_node, "context"))
    expect(page.locator(".react-flow__edge")).to_have_count(0)
    store.refresh()
    assert store.canvas.edges(scene.id) == []

    drag(page, handle(page, char_node, "lora"), handle(page, shot_node, "identity"))
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    prompt = page.get_by_label("Prompt of S01_S01")
    expect(prompt).to_contain_text("Ava")
    store.refresh()
    assert store.locate(shot.id, "shot").shot.characters == [ava]
    assert next(c for c in store.project.assets.characters if c.asset_id == ava).usage == [shot.id]
    screenshot(page, "connected")

    page.get_by_role("button", name="Generate S01_S01").click()
    state = page.get_by_label("State of S01_S01")
    try:
        expect(state).to_have_attribute("data-state", "completed", timeout=90_000)
        picture = page.get_by_role("img", name="S01_S01 take01")
        expect(picture).to_be_visible(timeout=15_000)
    except AssertionError:
        said = page.get_by_label("Notifications").inner_text()
        raise AssertionError(f"the node did not complete; the studio said: {said}") from None
    screenshot(page, "completed")
    store.refresh()
    take = store.locate(shot.id, "shot").shot.takes[0]
    assert (store.path / take.path).is_file()
