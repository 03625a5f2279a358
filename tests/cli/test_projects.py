"""`auteur new`, `list`, `show`, `rename`, `delete`, `trash` and `restore`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from auteur.cli.main import describe_error
from auteur.config import load_settings
from auteur.model import Take
from auteur.storage import ProjectStore, Workspace

from .conftest import Run, plain

pytestmark = pytest.mark.git


def _open(path: Path) -> ProjectStore:
    return ProjectStore.open(path, load_settings(path.parent.parent))


def test_new_prints_only_the_folder_of_a_committed_project(cli: Run, tmp_path: Path) -> None:
    result = cli("new", "Night Train", "--quality", "high", "--structure", "hero-journey")
    path = Path(result.stdout.strip())
    assert result.stdout == f"{path}\n"
    assert path == tmp_path / "workspace" / "Projects" / "Night_Train"
    project = _open(path).project
    assert (project.name, project.quality, project.narrative.structure) == (
        "Night Train",
        "high",
        "hero-journey",
    )
    assert len(project.narrative.chapters) == 3  # the hero's journey template
    assert _open(path).git.is_clean()


def test_new_takes_its_defaults_from_the_workspace_settings(cli: Run, tmp_path: Path) -> None:
    root = tmp_path / "workspace"
    root.mkdir()
    settings = {"defaultQuality": "low", "defaultStructure": "story-circle"}
    (root / "settings.json").write_text(json.dumps(settings))
    project = _open(Path(cli("new", "Defaults").stdout.strip())).project
    assert (project.quality, project.narrative.structure) == ("low", "story-circle")


def test_workspace_flag_wins_over_the_environment(cli: Run, tmp_path: Path) -> None:
    other = tmp_path / "other"
    flagged = Path(cli("new", "Flagged", "--workspace", other).stdout.strip())
    from_env = Path(cli("new", "From Env").stdout.strip())
    assert flagged.parent == other / "Projects"
    assert from_env.parent == tmp_path / "workspace" / "Projects"
    assert "Flagged" in cli("list", "-w", other).stdout
    assert "Flagged" not in cli("list").stdout
    cli("chapter", "add", "Flagged", "Coda", "--workspace", other)
    cli("chapter", "add", "Flagged", "Coda", code=1)  # not in the environment's workspace


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--quality", "ultra", "'low', 'standard', 'high'"),
        ("--structure", "five-act", "'three-act', 'hero-journey'"),
    ],
)
def test_new_rejects_unknown_choices_with_the_allowed_list(
    cli: Run, option: str, value: str, allowed: str
) -> None:
    result = cli("new", "Film", option, value, code=2)
    assert allowed in plain(result.stderr)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad\x01name", "control characters"),  # control character
        ("tab\there", "control characters"),
        ("x" * 300, "300 characters long"),  # over the name limit
        ("   ", "must not be empty"),
        ("///", "no characters that can make a folder name"),
    ],
)
def test_new_refuses_bad_names_with_one_clear_error(cli: Run, name: str, message: str) -> None:
    result = cli("new", name, code=1)
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_new_makes_path_like_names_safe(cli: Run, tmp_path: Path) -> None:
    path = Path(cli("new", "../x").stdout.strip())
    assert path == tmp_path / "workspace" / "Projects" / "x"
    assert _open(path).project.name == "../x"
    assert Path(cli("new", "CON").stdout.strip()).name == "CON_"  # a reserved Windows name


def test_new_refuses_a_taken_name(cli: Run, film: Path) -> None:
    result = cli("new", "test film", code=1)
    assert "Error: a project already uses the folder 'Test_Film'" in result.stderr


def test_list_shows_each_project_and_its_git_status(cli: Run, film: Path) -> None:
    cli("new", "Second", "--quality", "low", "--structure", "beat-sheet")
    table = cli("list").stdout
    for text in ("Test Film", "Test_Film", "standard", "three-act", "Second", "low", "beat-sheet"):
        assert text in table
    assert table.count("clean") == 2
    (film / "04_Project_Files" / "notes.txt").write_text("edited by hand")
    assert cli("list").stdout.count("dirty") == 1


def test_list_json_is_for_scripts(cli: Run, film: Path) -> None:
    (row,) = json.loads(cli("list", "--json").stdout)
    assert row["name"] == "Test Film"
    assert row["path"] == str(film)
    assert row["git_status"] == "clean"


def test_list_of_an_empty_workspace_says_how_to_start(cli: Run) -> None:
    assert "auteur new NAME" in cli("list").stdout


def test_show_prints_the_tree_with_addresses(cli: Run, film: Path) -> None:
    cli("scene", "add", film, "1", "Opening")
    cli("shot", "add", film, "1/1", "Wide on the [bold]harbour[/bold]", "--framing", "wide")
    tree = cli("show", "Test Film").stdout
    assert tree.splitlines()[0].startswith("Test Film")
    for text in (
        "1  Act I: Setup",
        "1/1  Opening",
        "1/1/1  Wide on the [bold]harbour[/bold]",
        "wide",
    ):
        assert text in tree
    shot_id = _open(film).project.narrative.chapters[0].scenes[0].shots[0].id
    assert shot_id not in tree
    assert shot_id in cli("show", film, "--ids").stdout


def test_show_lists_takes_and_the_active_one(cli: Run, film: Path) -> None:
    cli("scene", "add", film, "1", "Opening")
    cli("shot", "add", film, "1/1", "Harbour")
    store = _open(film)
    with store.transaction():
        found = store.locate("1/1/1")
        assert found.scene is not None and found.shot is not None
        found.shot.takes += [Take(number=n, path=f"03_Renders/take{n}.png") for n in (1, 2)]
        found.shot.takes[1].rejected = True
        found.shot.active_take = found.shot.takes[0].id
        store.touch_scene(found.scene)
    tree = cli("show", film).stdout
    assert "take 1  03_Renders/take1.png  active" in tree
    assert "take 2  03_Renders/take2.png  rejected" in tree


def test_show_json_is_the_manifest(cli: Run, film: Path) -> None:
    data = json.loads(cli("show", film, "--json").stdout)
    assert data["name"] == "Test Film"
    assert data["narrative"]["structure"] == "three-act"


def test_show_opens_a_project_folder_outside_the_workspace(
    cli: Run, film: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere" / "copy"
    shutil.copytree(film, elsewhere)
    assert cli("show", elsewhere / "project.json").stdout.startswith("Test Film")


def test_show_of_an_unknown_project_names_it(cli: Run) -> None:
    result = cli("show", "Nope", code=1)
    assert "Error: no project named 'Nope'" in result.stderr


def test_rename_moves_the_folder_and_prints_it(cli: Run, film: Path) -> None:
    path = Path(cli("rename", "Test Film", "Day Train").stdout.strip())
    assert path == film.parent / "Day_Train"
    assert not film.exists()
    assert "Day Train" in cli("list").stdout
    assert "clean" in cli("list").stdout


def test_delete_moves_to_the_trash_and_restore_brings_it_back(cli: Run, film: Path) -> None:
    out = cli("delete", "Test Film").stdout
    assert "trash" in out
    assert "auteur restore Test_Film" in out
    assert not film.exists()
    assert "Test Film" not in cli("list").stdout
    assert "Test_Film" in cli("trash").stdout
    restored = Path(cli("restore", "Test_Film").stdout.strip())
    assert restored == film
    assert "Test Film" in cli("list").stdout
    assert "empty" in cli("trash").stdout


def test_restore_of_an_unknown_name_fails_clearly(cli: Run) -> None:
    assert "nothing named 'Ghost' in the trash" in cli("restore", "Ghost", code=1).stderr


def test_a_locked_project_is_reported(
    cli: Run, film: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTEUR_LOCK_TIMEOUT", "0.2")
    ws = Workspace(film.parent.parent)
    holder = ws.open(film)
    with holder.transaction():
        result = cli("chapter", "add", film, "Coda", code=1)
    assert "locked by another process" in result.stderr


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            FileNotFoundError(2, "No such file or directory", "/x/y"),
            "No such file or directory: /x/y",
        ),
        (LookupError("no creative document named 'z'"), "no creative document named 'z'"),
        (ValueError(), "ValueError"),  # an empty message still names the failure
    ],
)
def test_describe_error(error: BaseException, message: str) -> None:
    assert describe_error(error) == message
