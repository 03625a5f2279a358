"""The studio's views without a browser: built, driven through their parameters, checked
against the project on disk."""

from __future__ import annotations

import json
import time
from pathlib import Path

import panel as pn
import pytest

from auteur.model import (
    Recipe,
    StartGenerationEvent,
    TaskFailedEvent,
    TaskProgressEvent,
    TaskSuccessEvent,
)
from auteur.storage import ProjectStore, Workspace
from auteur.storage.manifest import scene_file
from auteur.ui import Studio, project_rows
from auteur.ui.live import is_project_change
from auteur.ui.session import _first_end_after_progress
from auteur.ui.tasks import TaskTracker
from tests.ui.helpers import wait_for


def png(colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 36), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def film(project: ProjectStore) -> ProjectStore:
    """A project with one scene of two shots; the first has two takes."""
    scene = project.add_scene("1", "Diner", "Night, rain")
    first = project.add_shot(scene.id, "Ava wipes the counter", framing="medium")
    project.add_shot(scene.id, "The door opens")
    project.takes.add_take(first.id, png(), Recipe(pipeline_id="test"), commit=False)
    project.takes.add_take(first.id, png((40, 40, 200)), Recipe(pipeline_id="test"), commit=False)
    return project


@pytest.fixture
def studio(workspace: Workspace, film: ProjectStore):
    """The studio with `film` open."""
    app = Studio(workspace)
    app.session.open_project(film.path)
    yield app
    app.session.close_project()


def on_disk(store: ProjectStore) -> ProjectStore:
    return ProjectStore.open(store.path)


# ---------------------------------------------------------------- project tree


def test_tree_rows_are_made_only_under_expanded_items(film: ProjectStore):
    project = film.project
    chapter = project.narrative.chapters[0]
    scene = chapter.scenes[0]
    assert [r["id"] for r in project_rows(project, set())] == [project.id]
    rows = project_rows(project, {project.id})
    assert len(rows) == 1 + len(project.narrative.chapters)
    rows = project_rows(project, {project.id, chapter.id, scene.id})
    labels = [r["label"] for r in rows]
    assert "1.1 Diner" in labels
    assert "S01_S01 Ava wipes the counter" in labels
    assert not any(r["kind"] == "take" for r in rows)  # the shot is collapsed
    shot = scene.shots[0]
    rows = project_rows(project, {project.id, chapter.id, scene.id, shot.id})
    takes = [r["label"] for r in rows if r["kind"] == "take"]
    assert takes == ["take01 \u2713", "take02"]


def test_browser_adds_renames_moves_and_deletes(studio: Studio, film: ProjectStore):
    browser, session = studio.browser, studio.session
    session.select(film.project.id)
    browser.name_input.value = "Cold Open"
    browser.add("chapter")
    chapter = on_disk(film).project.narrative.chapters[-1]
    assert chapter.title == "Cold Open"
    assert session.selected == chapter.id
    assert any(r["label"] == "4. Cold Open" for r in browser.tree.nodes)

    browser.name_input.value = "Parking Lot"
    browser.add("scene")
    browser.add("shot")  # no name: a default description
    scene = on_disk(film).project.narrative.chapters[-1].scenes[0]
    assert scene.title == "Parking Lot"
    assert [s.description for s in scene.shots] == ["New shot"]

    session.select(scene.id)
    browser.name_input.value = "Back Lot"
    browser.rename()
    assert on_disk(film).locate(scene.id).scene.title == "Back Lot"

    session.select(chapter.id)
    browser.move(-1)
    assert on_disk(film).project.narrative.chapters[2].title == "Cold Open"

    browser.ask_delete()
    assert browser.confirm.visible
    assert "1 scene(s), 1 shot(s)" in browser.confirm_text.object
    browser.delete()
    assert "Cold Open" not in [c.title for c in on_disk(film).project.narrative.chapters]
    assert session.selected == film.project.id


def test_dropping_a_row_in_the_tree_moves_it_there(studio: Studio, film: ProjectStore):
    browser, session = studio.browser, studio.session
    chapters = film.project.narrative.chapters
    diner = chapters[0].scenes[0]
    first, second = (shot.id for shot in diner.shots)
    third = film.add_shot(diner.id, "The cook looks up").id
    alley = film.add_scene(chapters[1].id, "Alley").id
    session.sync()

    def drop(ident: str, target: str, place: str) -> None:
        browser._on_tree_action("drop", ident, {"target": target, "place": place})

    def shots(scene: str) -> list[str]:
        return [shot.id for shot in on_disk(film).locate(scene).scene.shots]

    drop(third, first, "before")  # on the upper half of the first shot
    assert shots(diner.id) == [third, first, second]
    drop(third, second, "after")
    assert shots(diner.id) == [first, second, third]
    drop(first, second, "after")  # one place down
    assert shots(diner.id) == [second, first, third]
    drop(first, second, "before")  # and back
    assert shots(diner.id) == [first, second, third]

    drop(first, alley, "into")  # onto a scene of another chapter: in at its end
    assert shots(alley) == [first]
    assert shots(diner.id) == [second, third]
    assert session.selected == first
    assert any(row["id"] == first for row in browser.tree.nodes)  # its new scene opened
    drop(third, first, "before")  # before a shot of another scene
    assert shots(alley) == [third, first]
    assert on_disk(film).locate(first).scene.shots[1].takes  # its takes went with it

    drop(alley, chapters[0].id, "into")  # a scene into another chapter
    assert [s.id for s in on_disk(film).project.narrative.chapters[0].scenes] == [diner.id, alley]
    ids = [c.id for c in chapters]
    drop(ids[2], ids[0], "before")  # chapters among chapters
    assert [c.id for c in on_disk(film).project.narrative.chapters] == [ids[2], ids[0], ids[1]]

    before = on_disk(film).project.model_dump()
    drop(second, ids[1], "into")  # a shot goes into a scene, not a chapter
    assert session.messages[-1] == (
        "warning",
        f"{session.find(second).title} can only be dropped on a scene or another shot",
    )
    drop(second, second, "after")  # onto itself
    assert on_disk(film).project.model_dump() == before


def test_browser_refuses_a_shot_without_a_scene(workspace: Workspace):
    store = workspace.create_project("Empty Film")
    app = Studio(workspace)
    app.session.open_project(store.path)
    app.browser.add("shot")
    level, message = app.session.messages[-1]
    assert level == "error"
    assert "add a scene first" in message
    app.session.close_project()


def test_tree_toggle_and_reveal(studio: Studio, film: ProjectStore):
    browser, session = studio.browser, studio.session
    take = film.project.narrative.chapters[0].scenes[0].shots[0].takes[1]
    session.select(take.id)  # revealing it expands its scene and shot
    assert any(r["id"] == take.id for r in browser.tree.nodes)
    assert browser.tree.selected == take.id
    scene = film.project.narrative.chapters[0].scenes[0]
    browser.toggle(scene.id)
    assert not any(r["id"] == take.id for r in browser.tree.nodes)


# ---------------------------------------------------------------- inspector


def test_inspector_edits_go_through_the_store_and_undo(studio: Studio, film: ProjectStore):
    session, inspector = studio.session, studio.inspector
    scene = film.project.narrative.chapters[0].scenes[0]
    shot = scene.shots[0]
    session.select(shot.id)
    form = inspector.forms["shot"]
    assert form.layout.visible
    assert form.editors["description"].widget.value == "Ava wipes the counter"
    assert form.editors["framing"].widget.value == "medium"
    assert f'data-inspector-id="{shot.id}"' in inspector.header.object

    form.editors["description"].widget.value = "Ava slams the till"
    path = scene_file(film.path, scene.id)
    assert "Ava slams the till" in path.read_text(encoding="utf-8")
    assert not inspector.undo_button.disabled

    session.undo()
    assert "Ava wipes the counter" in path.read_text(encoding="utf-8")
    assert form.editors["description"].widget.value == "Ava wipes the counter"
    session.redo()
    assert "Ava slams the till" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("duration", 0, "greater than or equal to 1"),  # pydantic's bound, named inline
        ("title", "x" * 500, "the limit is"),  # the store's name check
    ],
)
def test_inspector_shows_invalid_values_inline(studio, film, field, value, message):
    shot = film.project.narrative.chapters[0].scenes[0].shots[0]
    studio.session.select(shot.id)
    editor = studio.inspector.forms["shot"].editors[field]
    before = scene_file(film.path, film.project.narrative.chapters[0].scenes[0].id).read_bytes()
    editor.widget.value = value
    assert editor.error.visible
    assert message in editor.error.object
    after = scene_file(film.path, film.project.narrative.chapters[0].scenes[0].id).read_bytes()
    assert after == before


def test_inspector_edits_the_project_and_sets_the_active_take(studio, film):
    session, inspector = studio.session, studio.inspector
    session.select(film.project.id)
    editors = inspector.forms["project"].editors
    editors["quality"].widget.value = "high"
    editors["resolution"].widget.value = "1280x720"
    editors["structure"].widget.value = "story-circle"
    project = on_disk(film).project
    assert project.quality.value == "high"
    assert project.settings.resolution == (1280, 720)
    assert project.narrative.structure.value == "story-circle"
    editors["resolution"].widget.value = "wide"
    assert "WIDTHxHEIGHT" in editors["resolution"].error.object

    shot = film.project.narrative.chapters[0].scenes[0].shots[0]
    second = shot.takes[1]
    session.select(second.id)
    assert inspector.set_active_button.visible
    assert inspector.preview.visible
    inspector.set_active_take()
    assert on_disk(film).locate(shot.id).shot.active_take == second.id


def test_inspector_edits_an_asset(studio, film):
    character = film.assets.create_character("Ava", trigger_word="ava_v1")
    studio.session.sync()
    studio.session.select(character.asset_id)
    form = studio.inspector.forms["Character"]
    assert form.editors["trigger_word"].widget.value == "ava_v1"
    form.editors["description"].widget.value = "A night-shift waitress"
    form.editors["lora_strength"].widget.value = 5.0
    assert form.editors["lora_strength"].error.visible
    saved = on_disk(film).assets.get(character.asset_id)
    assert saved.description == "A night-shift waitress"
    assert saved.lora_strength == 0.8


# ---------------------------------------------------------------- scene view


def test_scene_view_shows_the_storyboard_and_sets_the_active_take(studio, film):
    board = studio.scene_view.board
    scene = film.project.narrative.chapters[0].scenes[0]
    first = scene.shots[0]
    assert [c["code"] for c in board.cards] == ["S01_S01", "S01_S02"]
    assert board.cards[0]["thumb"].startswith("data:image/jpeg;base64,")
    assert [t["active"] for t in board.cards[0]["takes"]] == [True, False]
    studio.scene_view._on_action(
        {"action": "set_active", "id": first.id, "take": first.takes[1].id}
    )
    assert on_disk(film).locate(first.id).shot.active_take == first.takes[1].id
    assert [t["active"] for t in board.cards[0]["takes"]] == [False, True]
    studio.scene_view._on_action({"action": "select", "id": scene.shots[1].id})
    assert studio.session.selected == scene.shots[1].id
    assert board.selected == scene.shots[1].id


def test_generate_without_a_render_engine_says_why(workspace: Workspace, film: ProjectStore):
    app = Studio(workspace)
    app.session.engine = None
    app.session.open_project(film.path)
    shot = film.project.narrative.chapters[0].scenes[0].shots[0]
    app.session.generate(shot.id, "low")
    level, message = app.session.messages[-1]
    assert level == "error" and "no render engine" in message
    app.session.close_project()


# ---------------------------------------------------------------- progress


def test_task_tracker_follows_a_render():
    tracker = TaskTracker()
    tracker.start("submitting:shot-1", "shot-1", "S01_S01", step="starting")
    tracker.handle(StartGenerationEvent(node_id="shot-1", parameters={"jobId": "job-1"}))
    tracker.rename("submitting:shot-1", "job-1")
    assert [t.task_id for t in tracker.running()] == ["job-1"]
    assert tracker.for_node("shot-1").label == "S01_S01"
    tracker.handle(TaskProgressEvent(task_id="job-1", node_id="shot-1", progress=0.4, step="x"))
    assert tracker.for_node("shot-1").progress == 0.4
    tracker.handle(TaskSuccessEvent(task_id="job-1", node_id="shot-1", result={"a": 1}))
    assert tracker.running() == []
    assert tracker.history()[0].status == "completed"
    tracker.handle(TaskFailedEvent(task_id="job-2", node_id="shot-2", error="cancelled"))
    assert tracker.history()[0].status == "cancelled"


def test_progress_area_expands_and_toasts_on_task_events(studio, film):
    session, progress = studio.session, studio.progress
    shot = film.project.narrative.chapters[0].scenes[0].shots[0]
    assert progress.card.collapsed
    film.bus.publish(StartGenerationEvent(node_id=shot.id, parameters={"jobId": "job-9"}))
    session.store.bus.publish(
        TaskProgressEvent(task_id="job-9", node_id=shot.id, progress=0.5, step="drawing")
    )
    assert not progress.card.collapsed
    assert progress.idle.visible is False
    row = progress._rows["job-9"]
    assert row.bar.value == 50 and "drawing" in row.step.object
    assert studio.scene_view.board.progress[shot.id]["progress"] == 0.5
    session.store.bus.publish(TaskFailedEvent(task_id="job-9", node_id=shot.id, error="GPU gone"))
    assert progress.idle.visible
    assert "GPU gone" in progress.history.object
    assert session.messages[-1] == ("error", "S01_S01 failed: GPU gone")


def test_a_task_ending_in_the_same_tick_as_its_progress_shows_the_progress_first():
    progress = TaskProgressEvent(task_id="job-1", progress=0.5)
    other = TaskProgressEvent(task_id="job-2", progress=0.1)
    end = TaskSuccessEvent(task_id="job-1")
    failed = TaskFailedEvent(task_id="job-3", error="x")
    assert _first_end_after_progress([progress, other, end, other]) == 2
    # An end whose task made no progress in the batch needs no pause.
    assert _first_end_after_progress([other, failed, end]) == 3
    assert _first_end_after_progress([end, progress]) == 2
    assert _first_end_after_progress([]) == 0


def test_a_closed_page_lets_go_of_its_project_without_redrawing_its_views(studio, film):
    session = studio.session
    redrawn = []
    session.param.watch(lambda event: redrawn.append(event.name), ["store", "selected", "scene"])
    session._on_destroyed(None)  # what Panel calls once the page's views are torn down
    assert session.store is None
    assert session._watcher is None
    assert redrawn == []


# ---------------------------------------------------------------- live updates


def test_another_process_edit_reaches_the_views_within_a_second(studio, film):
    session = studio.session
    scene = film.project.narrative.chapters[0].scenes[0]
    session.select(scene.shots[0].id)
    other = ProjectStore.open(film.path)  # as a notebook or the command line would
    before = session.revision
    started = time.monotonic()
    other.update(scene.shots[0].id, description="Changed elsewhere")
    wait_for(lambda: session.revision > before, timeout=5, what="the studio to notice")
    assert time.monotonic() - started < 1.0
    editor = studio.inspector.forms["shot"].editors["description"]
    wait_for(lambda: editor.widget.value == "Changed elsewhere", timeout=2, what="the inspector")


def test_hand_edits_of_scene_files_are_picked_up(studio, film):
    session = studio.session
    scene = film.project.narrative.chapters[0].scenes[0]
    path = scene_file(film.path, scene.id)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["shots"][1]["description"] = "Typed in a text editor"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    wait_for(
        lambda: any(
            "Typed in a text editor" in c["description"] for c in studio.scene_view.board.cards
        ),
        timeout=5,
        what="the storyboard",
    )
    assert session.store.locate(scene.shots[1].id).shot.description == "Typed in a text editor"


def test_a_broken_hand_edit_is_reported_once_and_the_last_state_stays(studio, film):
    manifest = film.path / "project.json"
    good = manifest.read_text(encoding="utf-8")
    manifest.write_text(good[: len(good) // 2], encoding="utf-8")
    wait_for(lambda: studio.session.messages, timeout=5, what="an error")
    assert "Could not read the project's files" in studio.session.messages[-1][1]
    assert studio.session.store.project.name == film.project.name
    manifest.write_text(good, encoding="utf-8")


@pytest.mark.parametrize(
    ("path", "matters"),
    [
        ("project.json", True),  # the manifest
        (".auteur/scenes/scene-1.json", True),  # a scene's shots
        (".git/auteur.revision", True),  # every command bumps it
        (".git/index", True),  # a commit changes the git panel
        (".git/objects/ab/cdef", False),  # git's own churn
        (".project.json.1234.auteur-tmp", False),  # half of an atomic write
        (".auteur/auteur.lock", False),  # the store's lock
        ("05_Cache/thumbnails/x.png", False),  # regenerated cache
        ("01_Assets/Characters/ava/base_face.png", True),  # an imported file
    ],
)
def test_which_file_changes_matter(tmp_path: Path, path: str, matters: bool):
    assert is_project_change(tmp_path, str(tmp_path / path)) is matters


# ---------------------------------------------------------------- gallery and git


def test_gallery_creates_lists_and_deletes_projects(workspace: Workspace):
    app = Studio(workspace)
    dialog = app.gallery.dialog
    dialog.name_input.value = "   "
    assert dialog.create() is None
    assert "must not be empty" in dialog.error.object
    dialog.name_input.value = "Night Film"
    dialog.quality.value = "high"
    dialog.structure.value = "beat-sheet"
    store = dialog.create()
    assert store is not None and app.session.store is not None
    assert store.project.quality.value == "high"
    assert (workspace.projects_dir / "Night_Film" / "01_Assets" / "Characters").is_dir()
    dialog.name_input.value = "night film"
    assert not dialog.validate()
    assert "already exists" in dialog.error.object

    app.session.close_project()
    cards = app.gallery.grid.projects
    assert [c["name"] for c in cards] == ["Night Film"]
    assert ["Quality", "high"] in cards[0]["facts"]
    app.gallery._on_action("delete", cards[0]["path"])
    assert app.gallery.grid.projects == []
    assert workspace.trash()


def test_git_panel_commits_and_tracks_lfs_patterns(studio, film):
    panel = studio.git
    panel.active = True
    assert "project.json" in panel.changes.object or ".auteur" in panel.changes.object
    panel.message.value = "Storyboard pass"
    panel.commit()
    assert "Nothing to commit" in panel.changes.object
    assert "Storyboard pass" in panel.history.object
    panel.pattern.value = "*.blend"
    panel.track()
    assert "*.blend" in film.git.lfs_patterns()
    assert "*.blend" in panel.patterns.object
    panel.pattern.value = "bad pattern"
    panel.track()
    assert "is not a file pattern" in studio.session.messages[-1][1]


# ---------------------------------------------------------------- the whole studio


def test_the_studio_builds_its_page_as_in_a_notebook_cell(studio: Studio):
    from bokeh.document import Document

    root = pn.panel(studio).get_root(Document())
    names = {type(model).__name__ for model in root.references()}
    assert "ReactiveESM" in names  # the panes, the tree and the storyboard
    assert studio.body.objects == [studio.panes]


def test_git_banner_names_what_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from auteur.storage import check_git_tools
    from auteur.ui import git_banner

    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH where neither git nor git-lfs is
    check_git_tools.cache_clear()
    try:
        banner = git_banner()
        assert banner is not None
        assert "git is not installed" in banner.object
        assert "apt-get install git" in banner.object
    finally:
        monkeypatch.undo()
        check_git_tools.cache_clear()
    assert git_banner() is None


def test_messages_from_the_page_drive_the_session(studio: Studio, film: ProjectStore):
    """What the browser components send: shortcuts, tree keys, storyboard buttons."""
    session = studio.session
    scene = film.project.narrative.chapters[0].scenes[0]
    first, second = scene.shots
    session.select(first.id)
    studio.inspector.forms["shot"].editors["title"].widget.value = "Opening"
    assert on_disk(film).locate(first.id).shot.title == "Opening"
    studio.panes._handle_msg({"type": "shortcut", "action": "undo"})
    assert on_disk(film).locate(first.id).shot.title == ""
    studio.panes._handle_msg({"type": "shortcut", "action": "redo"})
    assert on_disk(film).locate(first.id).shot.title == "Opening"

    tree = studio.browser.tree
    tree._handle_msg({"action": "move", "id": second.id, "delta": -1})  # Alt+ArrowUp
    assert [s.id for s in on_disk(film).locate(scene.id).scene.shots] == [second.id, first.id]
    tree._handle_msg({"action": "rename", "id": second.id})  # F2 fills the name field
    assert studio.browser.name_input.value == second.title
    tree._handle_msg({"action": "delete", "id": second.id})  # Delete asks first
    assert studio.browser.pending_delete == second.id
    studio.browser.delete()
    assert [s.id for s in on_disk(film).locate(scene.id).scene.shots] == [first.id]

    tree.selected = scene.id  # a click in the tree
    assert session.selected == scene.id
    assert first.id in {r["id"] for r in tree.nodes}  # the scene was revealed, expanded
    tree._handle_msg({"action": "toggle", "id": scene.id})  # ArrowLeft collapses it
    assert first.id not in {r["id"] for r in tree.nodes}


def test_render_engine_says_why_it_cannot_start_and_tries_again(tmp_path: Path):
    from auteur.config import load_settings
    from auteur.ui import RenderEngine

    settings = load_settings(tmp_path, scheduler="tcp://127.0.0.1:9", render_start_timeout=1)
    engine = RenderEngine(settings)
    with pytest.raises(RuntimeError, match=r"could not start.*127\.0\.0\.1:9"):
        engine.cluster()
    with pytest.raises(RuntimeError, match="could not start"):  # a second attempt, not a cache
        engine.cluster()
    engine.close()
