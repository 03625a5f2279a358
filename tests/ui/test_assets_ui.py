"""The asset side of the studio in a real browser: uploads, the character sheet, casting and
settings. Screenshots of the key states are saved under artifacts/ui."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from auteur.storage import ProjectStore, Workspace
from tests.ui.helpers import StudioServer, wait_for

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api").expect


def png(colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 96), colour).save(out, "PNG")
    return out.getvalue()


def open_assets(page, server: StudioServer, store: ProjectStore) -> None:
    """Load the studio with `store`'s project open and show its Characters."""
    page.goto(server.url_for(store.path.name))
    expect(page.get_by_role("treeitem", name=store.project.name)).to_be_visible()
    page.get_by_text("Assets", exact=True).click()
    expect(page.get_by_role("button", name="Characters", exact=True)).to_be_visible()


def choose_files(page, *files: tuple[str, str, bytes]) -> None:
    """Pick files in the asset browser's drop zone, as a drop or the file dialog would."""
    page.locator("input.au-picker").set_input_files(
        [{"name": name, "mimeType": mime, "buffer": data} for name, mime, data in files]
    )


def manifest(store: ProjectStore) -> dict:
    return json.loads((store.path / "project.json").read_text(encoding="utf-8"))


def test_upload_an_image_into_characters(page, studio_server, studio_project, screenshot):
    store = studio_project()
    open_assets(page, studio_server, store)
    choose_files(page, ("Mara.png", "image/png", png()))
    expect(page.get_by_role("img", name="Mara thumbnail")).to_be_visible()
    # The new character is selected: its sheet shows.
    expect(page.get_by_role("heading", name="Mara", exact=True)).to_be_visible()
    screenshot(page, "uploaded")
    folder = store.path / "01_Assets" / "Characters" / "mara"
    assert [p.name for p in folder.glob("base_face.*")] == ["base_face.png"]
    characters = manifest(store)["assets"]["characters"]
    assert characters[0]["baseFaceImagePath"] == "01_Assets/Characters/mara/base_face.png"


def test_edit_the_trigger_word_in_the_character_sheet(
    page, studio_server, studio_project, screenshot
):
    store = studio_project()
    store.assets.create_character("Ava", base_face=("ava.png", png((40, 120, 200))))
    open_assets(page, studio_server, store)
    page.get_by_role("option", name="Ava").click()
    sheet = page.get_by_role("main", name="Main view")
    trigger = sheet.get_by_role("textbox", name="Trigger word")
    expect(trigger).to_be_visible()
    trigger.fill("ava_w")
    trigger.press("Tab")
    sheet.get_by_role("button", name="Save", exact=True).click()
    wait_for(
        lambda: manifest(store)["assets"]["characters"][0]["triggerWord"] == "ava_w",
        what="the trigger word in project.json",
    )
    expect(page.get_by_text("To be production-ready")).to_be_visible()
    screenshot(page, "saved")


def test_cast_a_character_and_go_to_the_shot(page, studio_server, studio_project, screenshot):
    store = studio_project()
    scene = store.add_scene("1", "Diner")
    store.add_shot(scene.id, "Ava enters the diner")
    store.add_shot(scene.id, "The door slams")
    store.assets.create_character("Ava", base_face=("ava.png", png()))
    open_assets(page, studio_server, store)
    page.get_by_role("option", name="Ava").click()
    expect(page.get_by_text("Not used by any shot yet.")).to_be_visible()
    page.get_by_role("combobox", name="Cast to shot").select_option(label="1.1 S01_S02")
    page.get_by_role("button", name="Cast", exact=True).click()
    used = page.get_by_role("button", name="S01_S02 The door slams")
    expect(used).to_be_visible()
    screenshot(page, "cast")
    shot = store.project.narrative.chapters[0].scenes[0].shots[1]
    on_disk = ProjectStore.open(store.path)
    assert on_disk.assets.get("Ava").usage == [shot.id]
    used.click()
    expect(page.get_by_role("heading", name="S01_S02", exact=True)).to_be_visible()
    expect(page.get_by_role("listitem", name="S01_S02")).to_have_class("au-card au-selected")
    screenshot(page, "shot-selected")

    # Dragging the character onto the other shot's card casts it there too.
    page.get_by_role("option", name="Ava").drag_to(page.get_by_role("listitem", name="S01_S01"))
    first = store.project.narrative.chapters[0].scenes[0].shots[0]
    wait_for(
        lambda: set(ProjectStore.open(store.path).assets.get("Ava").usage) == {first.id, shot.id},
        what="the cast by drag and drop",
    )


def test_a_text_file_named_png_is_refused(page, studio_server, studio_project, screenshot):
    store = studio_project()
    open_assets(page, studio_server, store)
    characters = store.path / "01_Assets" / "Characters"
    before = sorted(p.name for p in characters.iterdir()) if characters.exists() else []
    project_file = (store.path / "project.json").read_bytes()
    choose_files(page, ("notes.png", "image/png", b"Scene 1: Ava enters.\n" * 20))
    toast = page.locator(".notyf__message").filter(has_text="Upload of notes.png refused")
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("notes.png")
    screenshot(page, "refused")
    after = sorted(p.name for p in characters.iterdir()) if characters.exists() else []
    assert after == before
    assert (store.path / "project.json").read_bytes() == project_file


def test_a_setting_survives_a_restart(browser, tmp_path, screenshot):
    root = tmp_path / "workspace"
    Workspace(root).create_project("Settings Film")
    url_of = None
    with StudioServer(root) as server:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        url_of = server.url_for("Settings_Film")
        page.goto(url_of)
        page.get_by_text("Settings", exact=True).click()
        page.get_by_role("combobox", name="Default quality").select_option("high")
        page.get_by_role("button", name="Save workspace settings").click()
        wait_for(
            lambda: (
                (root / "settings.json").is_file()
                and json.loads((root / "settings.json").read_text())["defaultQuality"] == "high"
            ),
            what="the setting in settings.json",
        )
        screenshot(page, "saved")
        context.close()
    with StudioServer(root) as server:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto(server.url_for("Settings_Film"))
        page.get_by_text("Settings", exact=True).click()
        expect(page.get_by_role("combobox", name="Default quality")).to_have_value("high")
        screenshot(page, "after-restart")
        context.close()
    assert url_of
