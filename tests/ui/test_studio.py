"""The studio in a real browser: Chromium driving `auteur studio` over its websocket.

Screenshots of the key states are saved under artifacts/ui (or $AUTEUR_TEST_ARTIFACTS).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from auteur.storage import LAYOUT_FOLDERS, ProjectStore
from auteur.storage.manifest import scene_file
from tests.ui.helpers import wait_for

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api").expect

#: A change must show in every open page within this many seconds.
LIVE_LIMIT = 1.0

#: Records every value the progress bars of the page are given.
RECORD_PROGRESS_JS = """
() => {
  // Every value a progress bar is given, as it is given: sampling the page on a timer
  // misses short-lived values when the browser is busy and its timers run late.
  window.auteurProgress = [];
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (name === "aria-valuenow" && this.getAttribute("role") === "progressbar") {
      window.auteurProgress.push(Number(value));
    }
    return setAttribute.call(this, name, value);
  };
}
"""


def open_project(page, server, store: ProjectStore) -> None:
    """Load the studio with `store`'s project open, and wait for its tree."""
    page.goto(server.url_for(store.path.name))
    expect(page.get_by_role("treeitem", name=store.project.name)).to_be_visible()


def select_shot(page, scene_label: str, shot_code: str) -> None:
    """Expand a scene in the project tree with the keyboard and select one of its shots."""
    scene = page.get_by_role("treeitem", name=scene_label)
    scene.click()
    page.keyboard.press("ArrowRight")
    expect(scene).to_have_attribute("aria-expanded", "true")
    page.get_by_role("treeitem", name=shot_code).click()
    expect(page.get_by_role("heading", name=shot_code)).to_be_visible()


def tree_label_has(page, node_id: str, text: str, timeout: float = 5.0) -> float:
    """Wait until the tree row of `node_id` shows `text`; return when, on the monotonic clock."""
    page.wait_for_function(
        """([id, text]) => {
            const row = window.auteurDeep(`[data-node-id="${id}"]`);
            return row !== null && row.textContent.includes(text);
        }""",
        arg=[node_id, text],
        polling="raf",
        timeout=timeout * 1000,
    )
    return time.monotonic()


def file_contains(path: Path, text: str) -> bool:
    try:
        return text in path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False


def test_create_project_through_the_dialog(page, studio_server, screenshot):
    page.goto(studio_server.url)
    page.get_by_role("button", name="New Project").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Create project").click()
    expect(dialog.get_by_role("alert")).to_contain_text("must not be empty")
    page.wait_for_timeout(400)  # the dialog fades in; only the screenshot needs it opaque
    screenshot(page, "validation-error")

    dialog.get_by_role("textbox", name="Project name").fill("Dialog Film")
    dialog.get_by_label("Quality tier").select_option("high")
    dialog.get_by_label("Narrative structure").select_option(label="Hero's Journey")
    screenshot(page, "filled")
    dialog.get_by_role("button", name="Create project").click()

    expect(page.get_by_role("treeitem", name="Dialog Film")).to_be_visible()
    expect(page.get_by_role("treeitem", name="1. Departure")).to_be_visible()
    screenshot(page, "created")
    folder = studio_server.workspace / "Projects" / "Dialog_Film"
    for sub in LAYOUT_FOLDERS:
        assert (folder / sub).is_dir(), sub
    assert (folder / ".git").is_dir()
    manifest = json.loads((folder / "project.json").read_text(encoding="utf-8"))
    assert manifest["name"] == "Dialog Film"
    assert manifest["quality"] == "high"
    assert manifest["narrative"]["structure"] == "hero-journey"


def test_add_a_chapter_a_scene_and_a_shot(page, studio_server, studio_project, screenshot):
    store = studio_project()
    open_project(page, studio_server, store)
    page.get_by_role("treeitem", name=store.project.name).click()
    name = page.get_by_role("textbox", name="Name")

    name.fill("Cold Open")
    page.get_by_role("button", name="Add chapter").click()
    expect(page.get_by_role("treeitem", name="4. Cold Open")).to_have_attribute(
        "aria-selected", "true"
    )
    name.fill("The Diner")
    page.get_by_role("button", name="Add scene").click()
    expect(page.get_by_role("treeitem", name="4.1 The Diner")).to_have_attribute(
        "aria-selected", "true"
    )
    name.fill("Ava enters")
    page.get_by_role("button", name="Add shot").click()
    shot_row = page.get_by_role("treeitem", name="S01_S01 Ava enters")
    expect(shot_row).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("listitem", name="S01_S01")).to_contain_text("Ava enters")
    screenshot(page, "added")

    on_disk = ProjectStore.open(store.path).project
    chapter = on_disk.narrative.chapters[3]
    assert chapter.title == "Cold Open"
    assert [s.title for s in chapter.scenes] == ["The Diner"]
    assert [s.description for s in chapter.scenes[0].shots] == ["Ava enters"]

    # Keyboard: up to the scene, collapse it, and back down to the shot after expanding.
    shot_row.focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("treeitem", name="4.1 The Diner")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("treeitem", name="4.1 The Diner")).to_have_attribute(
        "aria-expanded", "false"
    )
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("treeitem", name="4.1 The Diner")).to_have_attribute(
        "aria-expanded", "true"
    )
    page.keyboard.press("ArrowDown")
    expect(shot_row).to_have_attribute("aria-selected", "true")


def test_drag_and_drop_in_the_project_tree(page, studio_server, studio_project, screenshot):
    store = studio_project()
    diner = store.add_scene("1", "Diner")
    for description in ("Ava wipes the counter", "The door opens", "Leo sits down"):
        store.add_shot(diner.id, description)
    alley = store.add_scene("1", "Alley")
    open_project(page, studio_server, store)
    select_shot(page, "1.1 Diner", "S01_S01")

    # Onto the upper half of the first shot: the last one goes before it.
    leo = page.get_by_role("treeitem", name="S01_S03 Leo sits down")
    leo.drag_to(
        page.get_by_role("treeitem", name="S01_S01 Ava wipes the counter"),
        target_position={"x": 40, "y": 2},
    )
    moved = page.get_by_role("treeitem", name="S01_S01 Leo sits down")
    expect(moved).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("treeitem", name="S01_S02 Ava wipes the counter")).to_be_visible()
    screenshot(page, "reordered")

    # Onto another scene: in at its end.
    page.get_by_role("treeitem", name="S01_S03 The door opens").drag_to(
        page.get_by_role("treeitem", name="1.2 Alley")
    )
    expect(page.get_by_role("treeitem", name="S02_S01 The door opens")).to_have_attribute(
        "aria-selected", "true"
    )
    screenshot(page, "moved-to-another-scene")

    on_disk = ProjectStore.open(store.path)
    assert [s.description for s in on_disk.locate(diner.id).scene.shots] == [
        "Leo sits down",
        "Ava wipes the counter",
    ]
    assert [s.description for s in on_disk.locate(alley.id).scene.shots] == ["The door opens"]


def test_inspector_edits_the_shot_and_undo_restores_it(
    page, studio_server, studio_project, screenshot
):
    store = studio_project()
    scene = store.add_scene("1", "Diner")
    store.add_shot(scene.id, "Ava enters the diner")
    path = scene_file(store.path, scene.id)
    open_project(page, studio_server, store)
    select_shot(page, "1.1 Diner", "S01_S01")
    description = page.get_by_role("textbox", name="Description")
    expect(description).to_have_value("Ava enters the diner")
    screenshot(page, "selected")

    description.fill("Ava storms into the diner")
    description.press("Tab")
    wait_for(lambda: file_contains(path, "Ava storms into the diner"), what="the edit on disk")
    expect(page.get_by_role("button", name="Undo")).to_be_enabled()
    screenshot(page, "edited")

    page.get_by_role("button", name="Undo").click()
    wait_for(lambda: file_contains(path, "Ava enters the diner"), what="the undo on disk")
    expect(description).to_have_value("Ava enters the diner")
    screenshot(page, "undone")

    # The shortcuts work outside text fields.
    page.get_by_role("heading", name="S01_S01").click()
    page.keyboard.press("Control+Shift+Z")
    wait_for(lambda: file_contains(path, "Ava storms into the diner"), what="the redo on disk")
    expect(description).to_have_value("Ava storms into the diner")
    page.get_by_role("heading", name="S01_S01").click()
    page.keyboard.press("Control+z")
    wait_for(lambda: file_contains(path, "Ava enters the diner"), what="the second undo")
    expect(description).to_have_value("Ava enters the diner")

    # An invalid value is refused under the field, and nothing is written.
    duration = page.get_by_role("textbox", name="Duration")
    duration.fill("0")
    duration.press("Tab")
    expect(page.get_by_role("alert").filter(has_text="greater than or equal to 1")).to_be_visible()
    screenshot(page, "invalid")
    assert '"duration": 48' in path.read_text(encoding="utf-8")


def test_generate_previz_low_makes_a_take(page, studio_server, studio_project, screenshot):
    store = studio_project(quality="low")
    # A 4K frame takes the previz pipeline long enough for its progress to be seen moving,
    # even on a warm cluster.
    store.update_project(resolution=(3840, 2160))
    scene = store.add_scene("1", "Diner")
    store.add_shot(scene.id, "Ava wipes the counter", framing="medium")
    open_project(page, studio_server, store)
    page.get_by_role("treeitem", name="1.1 Diner").click()
    card = page.get_by_role("listitem", name="S01_S01")
    card.get_by_label("Quality for S01_S01").select_option("low")
    page.evaluate(RECORD_PROGRESS_JS)

    card.get_by_role("button", name="Generate S01_S01").click()
    expect(page.get_by_role("progressbar", name="Rendering S01_S01")).to_be_visible()
    screenshot(page, "generating")
    picture = card.get_by_role("img", name="S01_S01 active take")
    try:
        expect(picture).to_be_visible(timeout=90_000)
    except AssertionError:
        said = page.get_by_label("Notifications").inner_text()
        raise AssertionError(f"no take appeared; the studio said: {said}") from None
    screenshot(page, "take")

    take = store.path / "03_Renders/Chapter_01/Scene_01/Shot_01/S01_S01_take01.png"
    assert take.is_file()
    assert take.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    seen = page.evaluate("window.auteurProgress")
    # It moved: it showed at least two values on its way (which ones depends on timing).
    assert len(set(seen)) >= 2 and max(seen) > 0, f"the progress bar never moved: {seen[:20]}"
    expect(page.get_by_label("Task history")).to_contain_text("S01_S01")
    expect(card.get_by_role("button", name="S01_S01 take01 (active)")).to_be_visible()


def test_an_edit_in_one_page_shows_in_the_other(
    new_page, studio_server, studio_project, screenshot
):
    store = studio_project()
    scene = store.add_scene("1", "Diner")
    shot = store.add_shot(scene.id, "Leo orders coffee")
    path = scene_file(store.path, scene.id)
    first, second = new_page(), new_page()
    for page in (first, second):
        open_project(page, studio_server, store)
        select_shot(page, "1.1 Diner", "S01_S01")

    description = first.get_by_role("textbox", name="Description")
    description.fill("Leo orders black coffee")
    description.press("Tab")
    written = wait_for(
        lambda: file_contains(path, "Leo orders black coffee") and time.monotonic(),
        what="the edit on disk",
    )
    shown = tree_label_has(second, shot.id, "Leo orders black coffee")
    assert shown - written < LIVE_LIMIT, f"the other page took {shown - written:.2f} s"
    expect(second.get_by_role("textbox", name="Description")).to_have_value(
        "Leo orders black coffee"
    )
    screenshot(second, "second-page")


def test_changes_through_the_python_api_and_by_hand_show_in_the_page(
    page, studio_server, studio_project, screenshot
):
    store = studio_project()
    scene = store.add_scene("1", "Diner")
    shot = store.add_shot(scene.id, "Rain on the window")
    open_project(page, studio_server, store)
    select_shot(page, "1.1 Diner", "S01_S01")
    expect(page.get_by_role("listitem", name="S01_S01")).to_contain_text("Rain on the window")

    # Another process (a notebook, the command line) changes the project.
    notebook = ProjectStore.open(store.path)
    started = time.monotonic()
    notebook.update(shot.id, description="Rain streaks the neon window")
    shown = tree_label_has(page, shot.id, "Rain streaks the neon window")
    assert shown - started < LIVE_LIMIT, f"the page took {shown - started:.2f} s"
    expect(page.get_by_role("listitem", name="S01_S01")).to_contain_text("Rain streaks")

    started = time.monotonic()
    added = notebook.add_scene("1", "Parking Lot")
    shown = tree_label_has(page, added.id, "1.2 Parking Lot")
    assert shown - started < LIVE_LIMIT, f"the page took {shown - started:.2f} s"
    screenshot(page, "python-api")

    # A hand edit of project.json, as a text editor would save it.
    manifest = store.path / "project.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    chapter_id = data["narrative"]["chapters"][1]["id"]
    data["narrative"]["chapters"][1]["title"] = "Act II: Edited by hand"
    started = time.monotonic()
    manifest.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    shown = tree_label_has(page, chapter_id, "Act II: Edited by hand")
    assert shown - started < LIVE_LIMIT, f"the page took {shown - started:.2f} s"
    screenshot(page, "hand-edit")


def test_panes_resize_collapse_and_remember_it(page, studio_server, studio_project, screenshot):
    store = studio_project()
    open_project(page, studio_server, store)
    handle = page.get_by_role("separator", name="Resize left pane")
    start = int(handle.get_attribute("aria-valuenow"))
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + 200, steps=5)
    page.mouse.up()
    wider = int(handle.get_attribute("aria-valuenow"))
    assert wider >= start + 100
    page.get_by_role("button", name="Collapse right pane").click()
    expect(page.get_by_role("region", name="Inspector")).to_be_hidden()
    screenshot(page, "resized")

    page.reload()
    expect(page.get_by_role("treeitem", name=store.project.name)).to_be_visible()
    expect(page.get_by_role("button", name="Expand right pane")).to_be_visible()
    assert (
        int(page.get_by_role("separator", name="Resize left pane").get_attribute("aria-valuenow"))
        == wider
    )
    page.get_by_role("button", name="Expand right pane").click()
    expect(page.get_by_role("region", name="Inspector")).to_be_visible()

    # Back in the gallery, the project is deleted after a confirmation.
    page.get_by_role("button", name="All projects").click()
    page.get_by_role("button", name=f"Delete {store.project.name}").click()
    screenshot(page, "confirm-delete")
    page.get_by_role("button", name=f"Confirm delete {store.project.name}").click()
    expect(page.get_by_role("listitem", name=store.project.name)).to_have_count(0)
    assert not store.path.exists()
    assert any(store.path.name in p.name for p in (studio_server.workspace / ".trash").iterdir())
