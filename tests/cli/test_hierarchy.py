"""`auteur chapter|scene|shot add|update|rename|move|remove`."""

from __future__ import annotations

from pathlib import Path

import pytest

from auteur.config import load_settings
from auteur.model import Project
from auteur.storage import GitService, ProjectStore

from .conftest import Run, plain

pytestmark = pytest.mark.git


def _project(path: Path) -> Project:
    return ProjectStore.open(path, load_settings(path.parent.parent)).project


def _titles(path: Path, scene: str = "") -> list[str]:
    project = _project(path)
    if not scene:
        return [c.title for c in project.narrative.chapters]
    chapter, number = (int(n) for n in scene.split("/"))
    return [s.title for s in project.narrative.chapters[chapter - 1].scenes[number - 1].shots]


@pytest.fixture
def scene(cli: Run, film: Path) -> Path:
    """The film with scene 1/1 holding three shots, A, B and C."""
    cli("scene", "add", film, "1", "Opening")
    for title in "ABC":
        cli("shot", "add", film, "1/1", f"Shot {title}", "--title", title)
    return film


def test_add_prints_only_the_new_address(cli: Run, film: Path) -> None:
    assert cli("chapter", "add", film, "Epilogue").stdout == "4\n"
    assert cli("scene", "add", "Test Film", "4", "Farewell").stdout == "4/1\n"
    assert cli("scene", "add", film, "4", "Dawn").stdout == "4/2\n"
    result = cli("shot", "add", film, "4/2", "Sun rises", "--framing", "wide", "--duration", 96)
    assert result.stdout == "4/2/1\n"
    shot = _project(film).narrative.chapters[3].scenes[1].shots[0]
    assert (shot.description, shot.framing, shot.duration) == ("Sun rises", "wide", 96)


def test_add_at_a_position(cli: Run, film: Path) -> None:
    assert cli("chapter", "add", film, "Prologue", "--position", 1).stdout == "1\n"
    assert _titles(film)[:2] == ["Prologue", "Act I: Setup"]


def test_a_new_shot_takes_the_default_length_from_the_settings(
    cli: Run, film: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTEUR_DEFAULT_SHOT_FRAMES", "30")
    cli("scene", "add", film, "1", "Opening")
    cli("shot", "add", film, "1/1", "Harbour")
    assert _project(film).narrative.chapters[0].scenes[0].shots[0].duration == 30


def test_items_can_be_addressed_by_id(cli: Run, scene: Path) -> None:
    shot = _project(scene).narrative.chapters[0].scenes[0].shots[1]
    assert cli("shot", "rename", scene, shot.id, "Middle").stdout == "1/1/2\n"
    chapter_id = _project(scene).narrative.chapters[0].id
    assert cli("scene", "add", scene, chapter_id, "Second").stdout == "1/2\n"
    assert _titles(scene, "1/1") == ["A", "Middle", "C"]


def test_rename(cli: Run, scene: Path) -> None:
    cli("chapter", "rename", scene, "2", "The Middle")
    cli("scene", "rename", scene, "1/1", "Harbour at night")
    cli("shot", "rename", scene, "1/1/3", "Last")
    project = _project(scene)
    assert project.narrative.chapters[1].title == "The Middle"
    assert project.narrative.chapters[0].scenes[0].title == "Harbour at night"
    assert _titles(scene, "1/1") == ["A", "B", "Last"]


def test_update_a_shot(cli: Run, scene: Path) -> None:
    cli("shot", "update", scene, "1/1/2", "--framing", "close-up", "--duration", 12)
    shot = _project(scene).narrative.chapters[0].scenes[0].shots[1]
    assert (shot.framing, shot.duration, shot.description) == ("close-up", 12, "Shot B")
    cli("chapter", "update", scene, "1", "--description", "Where it starts")
    assert _project(scene).narrative.chapters[0].description == "Where it starts"


def test_update_without_changes_is_a_usage_error(cli: Run, scene: Path) -> None:
    assert "give at least one of" in plain(cli("shot", "update", scene, "1/1/1", code=2).stderr)


def test_move_within_a_parent_and_into_another(cli: Run, scene: Path) -> None:
    assert cli("shot", "move", scene, "1/1/3", 1).stdout == "1/1/1\n"
    assert _titles(scene, "1/1") == ["C", "A", "B"]
    cli("scene", "add", scene, "2", "Chase")
    assert cli("shot", "move", scene, "1/1/1", 1, "--to", "2/1").stdout == "2/1/1\n"
    assert _titles(scene, "1/1") == ["A", "B"]
    assert _titles(scene, "2/1") == ["C"]
    assert cli("scene", "move", scene, "2/1", 1, "--to", "1").stdout == "1/1\n"
    assert cli("chapter", "move", scene, "3", 1).stdout == "1\n"
    assert _titles(scene)[0] == "Act III: Resolution"


def test_remove_needs_force_for_items_holding_content(cli: Run, scene: Path) -> None:
    result = cli("scene", "remove", scene, "1/1", code=1)
    assert result.stderr == "Error: scene 1/1 holds 3 shot(s); remove them first or force it\n"
    assert cli("shot", "remove", scene, "1/1/2").stdout == "Removed shot 1/1/2: B\n"
    assert _titles(scene, "1/1") == ["A", "C"]
    cli("scene", "remove", scene, "1/1", "--force")
    assert _project(scene).narrative.chapters[0].scenes == []
    cli("chapter", "remove", scene, "3")
    assert len(_project(scene).narrative.chapters) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("shot", "rename", "1/1", "X"), "'1/1' is a scene, not a shot"),  # wrong kind
        (("scene", "remove", "1/1/1"), "'1/1/1' is a shot, not a scene"),
        (("shot", "move", "1/1/9", "1"), "no shot 9 in '1/1/9' (there are 3)"),
        (("scene", "add", "9", "X"), "no chapter 9 in '9' (there are 3)"),
        (("shot", "add", "1/x", "X"), "scene number 'x' in '1/x' is not a number"),
        (("shot", "rename", "shot-nothere", "X"), "nothing in the project has the id"),
        (("chapter", "add", "\x07"), "contains control characters"),
        (("chapter", "move", "1", "1", "--to", "2"), "No such option: --to"),
    ],
)
def test_bad_addresses_and_titles_fail_clearly(
    cli: Run, scene: Path, args: tuple[str, ...], message: str
) -> None:
    kind, command, *rest = args
    code = 2 if message.startswith("No such option") else 1
    result = cli(kind, command, scene, *rest, code=code)
    assert message in plain(result.stderr)
    assert "Traceback" not in result.stderr


def test_bad_framing_lists_the_allowed_values(cli: Run, scene: Path) -> None:
    result = cli("shot", "add", scene, "1/1", "X", "--framing", "sideways", code=2)
    assert "'extreme-wide', 'wide'" in plain(result.stderr)
    result = cli("shot", "add", scene, "1/1", "X", "--duration", 0, code=2)
    assert "'--duration': Input should be greater than or equal to 1" in plain(result.stderr)


def test_each_edit_is_committed(cli: Run, scene: Path) -> None:
    git = GitService(scene, load_settings(scene.parent.parent))
    cli("shot", "update", scene, "1/1/1", "--framing", "wide")
    cli("shot", "move", scene, "1/1/1", 2)
    assert git.is_clean()
    messages = [c.message for c in git.log(limit=4)]
    assert messages[:2] == ["Move shot 1/1/1 to 1/1/2", "Update shot 1/1/1: framing"]
    assert "Add shot 1/1/3" in messages
    assert "clean" in cli("list").stdout


def test_without_auto_commit_edits_stay_uncommitted(
    cli: Run, film: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTEUR_AUTO_COMMIT", "false")
    cli("chapter", "add", film, "Coda")
    assert "dirty" in cli("list").stdout
