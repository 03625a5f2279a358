"""The workspace: where it lives, its Library, and creating, listing and managing projects."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from auteur.config import load_settings
from auteur.model import NarrativeStructure, Quality, builtin_template
from auteur.storage import (
    LAYOUT_FOLDERS,
    PROJECT_FILE,
    NameError_,
    ProjectStore,
    Workspace,
    WorkspaceError,
)
from auteur.storage.workspace import LIBRARY_FOLDERS

MakeProject = Callable[..., ProjectStore]


def tree(root: Path) -> tuple[set[str], set[str]]:
    """The folders and files under `root`, outside `.git`, as relative POSIX paths."""
    folders, files = set(), set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        rel = Path(dirpath).relative_to(root)
        folders.update((rel / d).as_posix() for d in dirnames)
        files.update((rel / f).as_posix() for f in filenames)
    return folders, files


# ---------------------------------------------------------------- where the workspace is


def test_default_workspace_is_in_the_home_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("AUTEUR_WORKSPACE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    workspace = Workspace()
    assert workspace.root == (tmp_path / "home" / "Auteur_Workspace").resolve()
    assert (workspace.root / "Projects").is_dir()


def test_environment_overrides_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AUTEUR_WORKSPACE", str(tmp_path / "from-env"))
    assert Workspace().root == (tmp_path / "from-env").resolve()
    assert not (tmp_path / "home" / "Auteur_Workspace").exists()


def test_argument_overrides_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AUTEUR_WORKSPACE", str(tmp_path / "from-env"))
    workspace = Workspace(tmp_path / "from-argument")
    assert workspace.root == (tmp_path / "from-argument").resolve()
    assert workspace.settings.workspace == tmp_path / "from-argument"
    assert not (tmp_path / "from-env").exists()


def test_workspace_has_projects_and_library_folders(tmp_path: Path):
    workspace = Workspace(tmp_path / "ws")
    assert (workspace.root / "Projects").is_dir()
    for name in ("Narrative_Templates", "Pipeline_Templates", "Stock_Media", "AI_Models"):
        assert (workspace.root / "Library" / name).is_dir()
    assert set(LIBRARY_FOLDERS) == {p.name for p in (workspace.root / "Library").iterdir()}


def test_narrative_templates_are_copied_into_the_library(tmp_path: Path):
    workspace = Workspace(tmp_path / "ws")
    folder = workspace.root / "Library" / "Narrative_Templates"
    assert {p.name for p in folder.iterdir()} == {f"{s.value}.json" for s in NarrativeStructure}
    for structure in NarrativeStructure:
        copied = json.loads((folder / f"{structure.value}.json").read_text())
        assert copied["structure"] == structure.value


@pytest.mark.git
def test_an_edited_library_template_is_kept_and_used(make_project: MakeProject):
    store = make_project("Before")
    workspace_root = store.path.parent.parent
    path = workspace_root / "Library" / "Narrative_Templates" / "three-act.json"
    data = json.loads(path.read_text())
    data["chapters"].append({"stage": "epilogue", "title": "Epilogue", "description": "After."})
    path.write_text(json.dumps(data))

    workspace = Workspace(workspace_root)  # opening the workspace again copies nothing over it
    assert json.loads(path.read_text())["chapters"][-1]["title"] == "Epilogue"
    created = workspace.create_project("After", structure="three-act")
    titles = [c.title for c in created.project.narrative.chapters]
    assert titles[-1] == "Epilogue" and len(titles) == 4


def test_an_invalid_library_template_is_reported(tmp_path: Path):
    workspace = Workspace(tmp_path / "ws")
    path = workspace.library_dir / "Narrative_Templates" / "story-circle.json"
    path.write_text('{"structure": "story-circle"}')
    with pytest.raises(WorkspaceError, match=r"story-circle\.json is invalid"):
        workspace.template("story-circle")


# ---------------------------------------------------------------- creating projects


@pytest.mark.git
@pytest.mark.parametrize("structure", list(NarrativeStructure), ids=str)
def test_creating_a_project_gives_exactly_the_layout(workspace: Workspace, structure: str):
    store = workspace.create_project("My Film", quality="high", structure=structure)
    assert store.path == workspace.root / "Projects" / "My_Film"
    folders, files = tree(store.path)
    expected = set(LAYOUT_FOLDERS) | {"01_Assets", "02_Source_Creative"}
    assert folders == expected
    assert expected >= {
        "01_Assets/Characters",
        "01_Assets/Locations",
        "01_Assets/Music",
        "01_Assets/Styles",
        "02_Source_Creative/Treatments",
        "02_Source_Creative/Scripts",
        "02_Source_Creative/ShotLists",
        "02_Source_Creative/Canvas",
        "03_Renders",
        "04_Project_Files",
        "05_Cache",
        "06_Exports",
    }
    # Besides the manifest, only git's files: its settings and markers that keep empty folders.
    assert {f for f in files if not f.endswith("/.gitkeep")} == {
        PROJECT_FILE,
        ".gitignore",
        ".gitattributes",
    }
    assert (store.path / ".git").is_dir()


@pytest.mark.git
@pytest.mark.parametrize("structure", list(NarrativeStructure), ids=str)
def test_new_project_gets_the_template_chapters_and_beats(workspace: Workspace, structure: str):
    store = workspace.create_project(f"Film {structure}", quality="low", structure=structure)
    template = builtin_template(structure)
    project = ProjectStore.open(store.path).project
    assert project.quality is Quality.LOW
    assert project.narrative.structure == structure
    assert [c.title for c in project.narrative.chapters] == [c.title for c in template.chapters]
    assert [c.number for c in project.narrative.chapters] == list(
        range(1, len(template.chapters) + 1)
    )
    assert [b.name for b in project.narrative.emotional_beats] == [
        b.name for b in template.emotional_beats
    ]


@pytest.mark.git
def test_defaults_come_from_the_settings(tmp_path: Path, git_tools: None):
    root = tmp_path / "ws"
    workspace = Workspace(root, settings=load_settings(root, default_quality="high"))
    store = workspace.create_project("Defaults")
    assert store.project.quality is Quality.HIGH
    assert store.project.narrative.structure is NarrativeStructure.THREE_ACT


@pytest.mark.git
@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("My Film: Part 2", "My_Film_Part_2"),
        ("a/b\\c", "a_b_c"),  # never a subfolder
        ("../../outside", "outside"),  # never outside Projects/
        ("CON", "CON_"),  # Windows device names
        ("nul.txt", "nul_.txt"),
        ("Été à Paris", "Été_à_Paris"),
        ("x" * 100, "x" * 64),  # long names get a short folder
    ],
)
def test_folder_names_are_portable(workspace: Workspace, name: str, folder: str):
    store = workspace.create_project(name)
    assert store.path.parent == workspace.projects_dir
    assert store.path.name == folder
    assert store.project.name == name  # the display name is kept as typed


@pytest.mark.git
@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("..", NameError_, "no characters that can make a folder name"),
        ("/", NameError_, "no characters"),
        ("bad\x07name", NameError_, "control characters"),
        ("two\nlines", NameError_, "control characters"),
        ("x" * 300, NameError_, "300 characters long"),
        ("   ", NameError_, "must not be empty"),
    ],
)
def test_unusable_names_are_refused(workspace: Workspace, name: str, error: type, message: str):
    with pytest.raises(error, match=message):
        workspace.create_project(name)
    assert list(workspace.projects_dir.iterdir()) == [], "nothing is left behind"


@pytest.mark.git
@pytest.mark.parametrize(
    "second",
    [
        "My Film",  # the same name
        "my film",  # differs only in case (macOS and Windows fold case)
        "MY FILM",
        "My/Film",  # a different name with the same folder
        "My Film ",  # trailing spaces are trimmed
    ],
)
def test_colliding_names_are_refused(make_project: MakeProject, second: str):
    make_project("My Film")
    with pytest.raises(WorkspaceError, match="already"):
        make_project(second)


@pytest.mark.git
def test_a_project_is_built_out_of_sight(workspace: Workspace):
    workspace.create_project("One")
    leftovers = [p.name for p in workspace.projects_dir.iterdir() if p.name.startswith(".")]
    assert leftovers == []


# ---------------------------------------------------------------- listing and opening


@pytest.mark.git
def test_list_projects_with_status(workspace: Workspace, make_project: MakeProject):
    make_project("Alpha", "low", "hero-journey")
    beta = make_project("Beta")
    (workspace.projects_dir / "not-a-project").mkdir()
    (workspace.projects_dir / ".creating-1234").mkdir()  # an interrupted creation
    beta.add_chapter("Coda")  # changes project.json: dirty until committed

    summaries = {s.name: s for s in workspace.list_projects()}
    assert set(summaries) == {"Alpha", "Beta"}
    alpha = summaries["Alpha"]
    assert alpha.folder == "Alpha" and alpha.path == workspace.projects_dir / "Alpha"
    assert (alpha.quality, alpha.structure) == ("low", "hero-journey")
    assert alpha.id.startswith("project-") and alpha.created
    assert alpha.modified is not None
    assert alpha.git_status == "clean"
    assert summaries["Beta"].git_status == "dirty"
    beta.commit("Add coda")
    assert {s.name: s.git_status for s in workspace.list_projects()}["Beta"] == "clean"
    assert {s.git_status for s in workspace.list_projects(with_status=False)} == {"unknown"}


@pytest.mark.git
def test_list_reports_an_unreadable_manifest(workspace: Workspace, make_project: MakeProject):
    store = make_project("Broken")
    (store.path / PROJECT_FILE).write_text("{ not json")
    (summary,) = workspace.list_projects()
    assert summary.error.startswith("unreadable")
    assert summary.git_status == "dirty"


@pytest.mark.git
def test_open_by_name_folder_or_path(workspace: Workspace, make_project: MakeProject):
    created = make_project("My Film: Part 2")
    for ref in (
        "My Film: Part 2",  # display name
        "my film: part 2",  # case-insensitively
        "My_Film_Part_2",  # folder name
        created.path,  # folder path
        created.path / PROJECT_FILE,  # the manifest
        str(created.path),
    ):
        assert workspace.open(ref).project.id == created.project.id
    with pytest.raises(WorkspaceError, match="no project named 'Nope'"):
        workspace.open("Nope")


@pytest.mark.git
def test_update_project_settings(project: ProjectStore):
    events = []
    project.bus.subscribe(events.append)
    project.update_project(quality="high", fps=25, resolution=(1280, 720), aspect_ratio="16:9")
    again = ProjectStore.open(project.path).project
    assert again.quality is Quality.HIGH
    assert again.settings.fps == 25 and again.settings.resolution == (1280, 720)
    (event,) = events
    assert event.type == "project_update"
    assert event.changes["quality"] == "high"
    assert event.changes["settings"]["fps"] == 25
    with pytest.raises(Exception, match="fps"):
        project.update_project(fps=0)
    assert ProjectStore.open(project.path).project.settings.fps == 25


# ---------------------------------------------------------------- rename, delete, restore


@pytest.mark.git
def test_rename_changes_name_and_folder_and_commits(
    workspace: Workspace, make_project: MakeProject
):
    old = make_project("Working Title")
    project_id = old.project.id
    renamed = workspace.rename_project("Working Title", "Final Title")
    assert renamed.path == workspace.projects_dir / "Final_Title"
    assert not old.path.exists()
    assert renamed.project.name == "Final Title"
    assert renamed.project.id == project_id
    assert renamed.git.is_clean()
    assert renamed.git.log()[0].message == "Rename project to Final Title"
    assert [s.name for s in workspace.list_projects()] == ["Final Title"]


@pytest.mark.git
def test_rename_refuses_collisions_and_bad_names(workspace: Workspace, make_project: MakeProject):
    make_project("First")
    make_project("Second")
    with pytest.raises(WorkspaceError, match="already"):
        workspace.rename_project("Second", "FIRST")
    with pytest.raises(NameError_):
        workspace.rename_project("Second", "..")
    assert sorted(s.name for s in workspace.list_projects()) == ["First", "Second"]


@pytest.mark.git
def test_rename_to_a_new_case_of_the_same_name(workspace: Workspace, make_project: MakeProject):
    make_project("quiet film")
    renamed = workspace.rename_project("quiet film", "Quiet Film")
    assert renamed.project.name == "Quiet Film"
    assert renamed.path.name == "Quiet_Film"


@pytest.mark.git
def test_delete_moves_to_trash_and_restore_brings_back(
    workspace: Workspace, make_project: MakeProject
):
    store = make_project("Doomed")
    store.add_scene("1", "Only scene")
    project_id = store.project.id
    entry = workspace.delete_project("Doomed")
    assert not store.path.exists()
    assert entry.path.is_dir() and entry.path.parent == workspace.trash_dir
    assert workspace.list_projects() == []
    assert [e.name for e in workspace.trash()] == ["Doomed"]

    restored = workspace.restore_project("Doomed")
    assert restored.path == workspace.projects_dir / "Doomed"
    assert restored.project.id == project_id
    assert restored.project.narrative.chapters[0].scenes[0].title == "Only scene"
    assert workspace.trash() == []


@pytest.mark.git
def test_restore_refuses_to_replace_a_project(workspace: Workspace, make_project: MakeProject):
    make_project("Twin")
    entry = workspace.delete_project("Twin")
    make_project("Twin")
    with pytest.raises(WorkspaceError, match="already uses the folder 'Twin'"):
        workspace.restore_project(entry)
    with pytest.raises(WorkspaceError, match="nothing named 'Ghost'"):
        workspace.restore_project("Ghost")
    assert entry.path.is_dir()


@pytest.mark.git
def test_settings_saved_in_the_workspace_apply_to_it(tmp_path: Path, git_tools: None):
    workspace = Workspace(tmp_path / "ws")
    workspace.save_settings(default_quality="low", default_structure="story-circle")
    saved = json.loads((workspace.root / "settings.json").read_text())
    assert saved == {"defaultQuality": "low", "defaultStructure": "story-circle"}
    store = Workspace(tmp_path / "ws").create_project("From Settings")
    assert store.project.quality is Quality.LOW
    assert store.project.narrative.structure is NarrativeStructure.STORY_CIRCLE
