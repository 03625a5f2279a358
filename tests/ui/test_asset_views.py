"""The asset side of the studio without a browser: the asset browser, uploads, the character
sheet, the location, style and music views, and the settings view."""

from __future__ import annotations

import base64
import io
import json
import wave

import pytest
from PIL import Image

from auteur.config import load_settings
from auteur.model import CharacterLoraStatusEvent, LoraTrainingStatus
from auteur.storage import ProjectStore, Workspace
from auteur.ui import Studio
from auteur.ui.asset_browser import ALL_FOLDERS, asset_folders
from auteur.ui.asset_details import format_duration, image_palette
from auteur.ui.character_sheet import gallery_items


def png(colour: tuple[int, int, int] = (200, 40, 40), size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def wav(seconds: float = 2.0, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as track:
        track.setnchannels(1)
        track.setsampwidth(2)
        track.setframerate(rate)
        track.writeframes(b"\0\0" * int(seconds * rate))
    return out.getvalue()


def upload(studio: Studio, name: str, data: bytes, chunk: int = 100) -> None:
    """Send a file the way the browser does: start, base64 chunks, end."""
    grid = studio.asset_browser.grid
    grid._handle_msg({"action": "upload_start", "upload": name, "name": name, "size": len(data)})
    for start in range(0, len(data), chunk):
        piece = base64.b64encode(data[start : start + chunk]).decode("ascii")
        grid._handle_msg({"action": "upload_chunk", "upload": name, "data": piece})
    grid._handle_msg({"action": "upload_end", "upload": name})


@pytest.fixture
def film(project: ProjectStore) -> ProjectStore:
    """A project with one scene of two shots and a character."""
    scene = project.add_scene("1", "Diner", "Night, rain")
    project.add_shot(scene.id, "Ava wipes the counter")
    project.add_shot(scene.id, "The door opens")
    project.assets.create_character("Ava", description="A waitress", base_face=("ava.png", png()))
    return project


@pytest.fixture
def studio(workspace: Workspace, film: ProjectStore):
    app = Studio(workspace)
    app.session.open_project(film.path)
    yield app
    app.session.close_project()


def on_disk(store: ProjectStore) -> ProjectStore:
    return ProjectStore.open(store.path)


def shots(store: ProjectStore):
    return [shot for _, _, shot in store.iter_shots()]


# ---------------------------------------------------------------- asset browser and uploads


def test_upload_in_chunks_creates_a_character_with_its_face(studio: Studio, film: ProjectStore):
    upload(studio, "Marco_Polo.png", png((20, 200, 20)))
    store = on_disk(film)
    marco = store.assets.get("Marco Polo")
    assert marco.base_face_image_path.startswith("01_Assets/Characters/marco-polo/")
    assert (film.path / marco.base_face_image_path).is_file()
    task = next(
        t for t in studio.session.tasks.tasks.values() if t.label == "Upload Marco_Polo.png"
    )
    assert (task.status, task.progress) == ("completed", 1.0)
    assert studio.session.selected == marco.asset_id
    names = [i["name"] for f in studio.asset_browser.grid.folders for i in f["items"]]
    assert names == ["Ava", "Marco Polo"]
    assert all(
        i["thumb"].startswith("data:image/jpeg")
        for f in studio.asset_browser.grid.folders
        for i in f["items"]
    )


def test_a_refused_upload_says_why_and_writes_nothing(studio: Studio, film: ProjectStore):
    before = sorted(p.name for p in (film.path / "01_Assets" / "Characters").iterdir())
    manifest = (film.path / "project.json").read_bytes()
    upload(studio, "notes.png", b"just some words, not a picture\n" * 3)
    level, message = studio.session.messages[-1]
    assert level == "error"
    assert "notes.png" in message and "refused" in message
    assert sorted(p.name for p in (film.path / "01_Assets" / "Characters").iterdir()) == before
    assert (film.path / "project.json").read_bytes() == manifest
    task = next(t for t in studio.session.tasks.tasks.values() if t.label == "Upload notes.png")
    assert task.status == "error"


def test_uploads_go_into_the_selected_category(studio: Studio, film: ProjectStore):
    studio.asset_browser.tabs.value = "music"
    upload(studio, "Theme.wav", wav(2.0), chunk=4096)
    music = on_disk(film).assets.get("Theme", "music")
    assert music.duration == pytest.approx(2.0, abs=0.01)
    assert music.files[0].path.startswith("01_Assets/Music/theme/")


def test_search_and_folders(film: ProjectStore):
    film.assets.create("locations", "Harbour", description="Grey docks at dawn", tags=["Exterior"])
    film.assets.create("locations", "Kitchen", tags=["Interior"])
    film.assets.create("locations", "Attic")
    folders = asset_folders(film, "locations")
    assert [f["name"] for f in folders] == ["Exterior", "Interior", "Unfiled"]
    found = asset_folders(film, "locations", query="docks dawn")
    assert [i["name"] for f in found for i in f["items"]] == ["Harbour"]
    only = asset_folders(film, "locations", folder="Interior")
    assert [i["name"] for f in only for i in f["items"]] == ["Kitchen"]
    assert asset_folders(film, "locations", query="nowhere", folder=ALL_FOLDERS) == []


# ---------------------------------------------------------------- character sheet


def test_character_sheet_saves_metadata_through_the_library(studio: Studio, film: ProjectStore):
    ava = film.assets.get("Ava")
    studio.session.select(ava.asset_id)
    assert studio.main_tabs.active == 1  # the asset view
    sheet = studio.asset_view.sheet
    assert studio.asset_view.body.objects == [sheet.layout]
    assert "Ava base face" in sheet.header.object
    assert "Stage:</b> concept" in sheet.header.object
    assert "To be visual-identity: nothing missing" in sheet.header.object
    assert "To be production-ready: needs a trigger word" in sheet.header.object
    sheet.advance.clicks += 1
    assert on_disk(film).assets.get("Ava").stage == "visual-identity"
    assert "Stage:</b> visual-identity" in sheet.header.object
    sheet.trigger_word.value = "ava_w"
    sheet.prompt_fragment.value = "red apron"
    sheet.lora_strength.value = 1.2
    sheet.ip_scale.value = 0.4
    sheet.save()
    saved = on_disk(film).assets.get("Ava")
    assert (saved.trigger_word, saved.prompt_fragment) == ("ava_w", "red apron")
    assert (saved.lora_strength, saved.ip_adapter_scale) == (1.2, 0.4)
    data = json.loads((film.path / "project.json").read_text(encoding="utf-8"))
    assert data["assets"]["characters"][0]["triggerWord"] == "ava_w"


def test_gallery_add_reference_variation_and_set_base_face(studio: Studio, film: ProjectStore):
    ava = film.assets.get("Ava")
    studio.session.select(ava.asset_id)
    sheet = studio.asset_view.sheet
    sheet.angle.value = "left"
    sheet.reference_file.param.update(filename="left.png", value=png((0, 0, 250)))
    sheet.variation_name.value = "happy"
    sheet.variation_file.param.update(filename="smile.png", value=png((250, 250, 0)))
    sheet.ip_file.param.update(filename="ip.png", value=png((0, 250, 250)))
    ava = on_disk(film).assets.get("Ava")
    labels = [i["label"] for i in gallery_items(ava)]
    assert labels[:3] == ["base face", "reference: left", "variation: expression happy"]
    assert "IP-Adapter" in labels
    variation = ava.variations["expression_happy"]
    sheet.set_base_face(variation)
    face = on_disk(film).assets.get("Ava").base_face_image_path
    with Image.open(film.path / face) as picture:
        colour = picture.convert("RGB").getpixel((0, 0))
    assert colour == (250, 250, 0)
    sheet.remove_file(ava.ip_adapter_images[0])
    assert on_disk(film).assets.get("Ava").ip_adapter_images == []


def test_cast_from_the_usage_panel_and_click_to_the_shot(studio: Studio, film: ProjectStore):
    ava = film.assets.get("Ava")
    second = shots(film)[1]
    studio.session.select(ava.asset_id)
    usage = studio.asset_view.sheet.usage
    usage.target.value = second.id
    usage.cast()
    assert ava.asset_id in on_disk(film).locate(second.id, "shot").shot.characters
    buttons = [o for o in usage.shots.objects if hasattr(o, "clicks")]
    assert [b.label for b in buttons] == ["S01_S02 The door opens"]
    buttons[0].clicks += 1
    assert studio.session.selected == second.id
    assert studio.main_tabs.active == 0  # back to the scene view


def test_dropping_an_asset_on_a_storyboard_card_casts_it(studio: Studio, film: ProjectStore):
    ava = film.assets.get("Ava")
    first = shots(film)[0]
    studio.scene_view.board._handle_msg({"action": "cast", "id": first.id, "asset": ava.asset_id})
    assert on_disk(film).assets.get("Ava").usage == [first.id]


def test_lora_status_events_show_training_progress(studio: Studio, film: ProjectStore):
    ava = film.assets.get("Ava")
    studio.session.select(ava.asset_id)
    sheet = studio.asset_view.sheet
    assert "untrained" in sheet.lora_status.object
    film.assets.set_lora_status(ava.asset_id, LoraTrainingStatus.TRAINING, 0.25)
    studio.session.sync()
    assert "training" in sheet.lora_status.object
    assert (sheet.lora_bar.visible, sheet.lora_bar.value) == (True, 25)
    film.bus.publish(
        CharacterLoraStatusEvent(asset_id=ava.asset_id, status="training", progress=0.5)
    )
    assert sheet.lora_bar.value == 50
    sheet.reset_lora.clicks += 1
    assert on_disk(film).assets.get("Ava").lora_training_status == "untrained"


# ---------------------------------------------------------------- location, style and music


def test_location_view_shows_the_picture_and_its_palette(studio: Studio, film: ProjectStore):
    harbour, _ = film.assets.add("locations", "Harbour", [("dock.png", png((10, 60, 200)))])
    studio.session.sync()
    studio.session.select(harbour.asset_id)
    details = studio.asset_view.details
    assert studio.asset_view.body.objects == [details.layout]
    assert "Harbour preview" in details.body.object
    assert 'aria-label="#0a3cc8"' in details.body.object
    assert image_palette(film.path / "nowhere.png") == []


def test_style_palette_and_music_player(studio: Studio, film: ProjectStore):
    style = film.assets.create("styles", "Noir", palette=["#000", "#ffcc00"], keywords=["grain"])
    music, _ = film.assets.add("music", "Theme", [("theme.wav", wav(187.0, 800))])
    studio.session.sync()
    details = studio.asset_view.details
    studio.session.select(style.asset_id)
    assert '"#000000"' in details.body.object and "grain" in details.body.object
    studio.session.select(music.asset_id)
    assert "3:07" in details.body.object
    assert any(type(p).__name__ == "Audio" for p in details.players.objects)
    assert format_duration(None) == "unknown"


# ---------------------------------------------------------------- settings


def test_workspace_settings_are_saved_in_the_settings_file(workspace: Workspace, film):
    app = Studio(workspace)
    view = app.settings_view
    view.default_quality.value = "high"
    view.scheduler.value = "tcp://10.0.0.5:8786"
    view.auto_commit.value = False
    view.left_width.value = 420
    view.save_workspace()
    reread = load_settings(workspace.root)
    assert reread.default_quality == "high"
    assert reread.scheduler == "tcp://10.0.0.5:8786"
    assert reread.auto_commit is False
    assert reread.ui["left_width"] == 420
    again = Studio(Workspace(workspace.root))
    assert again.settings_view.default_quality.value == "high"
    assert again.panes.left_width == 420


def test_project_settings_are_saved_in_project_json(studio: Studio, film: ProjectStore):
    view = studio.settings_view
    view.fps.value = 25
    view.width.value, view.height.value = 1280, 720
    view.aspect_ratio.value = "4:3"
    view.save_project()
    data = json.loads((film.path / "project.json").read_text(encoding="utf-8"))
    assert data["settings"] == {"fps": 25, "resolution": [1280, 720], "aspectRatio": "4:3"}


# ---------------------------------------------------------------- generation


@pytest.mark.slow
def test_generate_a_variation_through_the_render_service(workspace: Workspace, film: ProjectStore):
    from auteur.config import load_settings as settings_for
    from auteur.ui import RenderEngine
    from tests.ui.helpers import wait_for

    film.update_project(quality="low", resolution=(96, 64))
    settings = settings_for(
        workspace.root, render_gpus=0, render_cpu_workers=1, render_dashboard_address=""
    )
    engine = RenderEngine(settings)
    app = Studio(workspace, engine=engine)
    events = []
    film.bus.subscribe(events.append)
    try:
        app.session.open_project(film.path)
        ava = film.assets.get("Ava")
        app.session.select(ava.asset_id)
        sheet = app.asset_view.sheet
        sheet.variation_kind.value = "expression"
        sheet.variation_name.value = "happy"
        sheet.generate_variation.clicks += 1

        def filed() -> str:
            app.session.sync()
            return (
                ProjectStore.open(film.path)
                .assets.get("Ava")
                .variations.get("expression_happy", "")
            )

        path = wait_for(filed, timeout=60, interval=0.2, what="the generated variation")
        assert path == "01_Assets/Characters/ava/variations/expression_happy.png"
        with Image.open(film.path / path) as picture:
            assert picture.size == (64, 64)
        wait_for(
            lambda: any(t.status == "completed" for t in app.session.tasks.tasks.values()),
            timeout=10,
            what="the task to complete",
        )
        task = next(iter(app.session.tasks.tasks.values()))
        assert "Ava" in task.label and task.status == "completed"
        assert "variation: expression happy" in [
            i["label"] for i in gallery_items(app.session.store.assets.get("Ava"))
        ]
        assert any(e.type == "character_variation_generated" for e in events)

        def face_digest() -> str:
            ava = ProjectStore.open(film.path).assets.get("Ava")
            return next(f.sha256 for f in ava.files if f.path == ava.base_face_image_path)

        before = face_digest()
        sheet.generate_face.clicks += 1
        wait_for(
            lambda: face_digest() != before,
            timeout=60,
            interval=0.2,
            what="the generated base face",
        )

        # Training checks the base model before any worker time; its absence is explained.
        sheet.train.clicks += 1
        trouble = wait_for(
            lambda: [m for level, m in app.session.messages if level == "error"],
            timeout=60,
            what="the training outcome",
        )
        assert trouble[0].startswith("Training Ava's LoRA failed: ")
        assert ProjectStore.open(film.path).assets.get("Ava").lora_training_status == "untrained"
    finally:
        app.session.close_project()
        engine.close()
