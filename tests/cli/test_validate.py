"""`auteur validate`: exit codes, and errors naming each bad field and where it is."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import Run

pytestmark = pytest.mark.git


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def test_a_fresh_project_is_valid(cli: Run, film: Path) -> None:
    assert cli("validate", film).stdout == f"{film / 'project.json'}: valid\n"
    assert cli("validate", film / "project.json").stdout.endswith("valid\n")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # an unknown quality tier names the field and what it allows
        (lambda d: d.update(quality="ultra"), "quality: Input should be 'low', 'standard' or"),
        # a nested field is named by its path
        (lambda d: d["settings"].update(fps="fast"), "settings.fps: Input should be a valid"),
        (lambda d: d["settings"].update(resolution=[0, 1080]), "settings.resolution"),
        (lambda d: d.pop("name"), "name: Field required"),
        (lambda d: d["narrative"].update(structure="five-act"), "narrative.structure:"),
        (lambda d: d["narrative"]["chapters"][1].update(number=0), "narrative.chapters[1].number"),
    ],
)
def test_a_bad_field_is_named_with_its_location(
    cli: Run, film: Path, change: Callable[[dict[str, Any]], None], expected: str
) -> None:
    _edit(film / "project.json", change)
    result = cli("validate", film, code=1)
    assert result.stdout == ""
    assert result.stderr.startswith(f"{film / 'project.json'} is not valid, 1 problem:\n")
    assert f"  - {expected}" in result.stderr


def test_every_problem_is_listed(cli: Run, film: Path) -> None:
    _edit(
        film / "project.json", lambda d: (d.update(quality="ultra"), d["settings"].update(fps="x"))
    )
    lines = cli("validate", film / "project.json", code=1).stderr.splitlines()
    assert "2 problems" in lines[0]
    assert [line.split(":")[0] for line in lines[1:]] == ["  - quality", "  - settings.fps"]


def test_malformed_json_names_the_line_and_column(cli: Run, film: Path) -> None:
    (film / "project.json").write_text('{"name": "Film",\n  "quality": }\n')
    result = cli("validate", film, code=1)
    assert "  - line 2 column 14: Expecting value" in result.stderr


def test_a_bad_scene_file_is_named(cli: Run, film: Path) -> None:
    cli("scene", "add", film, "1", "Opening")
    cli("shot", "add", film, "1/1", "Harbour")
    (scene_file,) = (film / ".auteur" / "scenes").glob("*.json")
    _edit(scene_file, lambda d: d["shots"][0].update(duration=-5))
    result = cli("validate", film, code=1)
    assert f".auteur/scenes/{scene_file.name}: shots[0].duration" in result.stderr


def test_a_dangling_reference_is_reported(cli: Run, film: Path) -> None:
    cli("scene", "add", film, "1", "Opening")
    cli("shot", "add", film, "1/1", "Harbour")
    (scene_file,) = (film / ".auteur" / "scenes").glob("*.json")
    _edit(scene_file, lambda d: d["shots"][0].update(location="loc-gone"))
    result = cli("validate", film, code=1)
    assert "shots[0]: uses asset 'loc-gone', which is not in the library" in result.stderr


def test_a_project_of_the_workspace_can_be_named(cli: Run, film: Path, tmp_path: Path) -> None:
    assert cli("validate", "Test Film").stdout == f"{film / 'project.json'}: valid\n"
    _edit(film / "project.json", lambda d: d.update(quality="ultra"))
    assert "  - quality:" in cli("validate", "Test_Film", code=1).stderr
    elsewhere = tmp_path / "elsewhere"
    cli("validate", "Test Film", "--workspace", elsewhere, code=1)  # not in that workspace
    assert not elsewhere.exists()


def test_a_folder_without_a_project_is_an_error(cli: Run, tmp_path: Path) -> None:
    result = cli("validate", tmp_path / "nowhere", code=1)
    assert result.stderr == f"Error: {tmp_path / 'nowhere' / 'project.json'}: no such file\n"


def test_validate_works_outside_any_workspace(
    cli: Run, film: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "elsewhere" / "film"
    shutil.copytree(film, copy)
    absent = tmp_path / "no-workspace"
    monkeypatch.setenv("AUTEUR_WORKSPACE", str(absent))
    cli("validate", copy)
    _edit(copy / "project.json", lambda d: d.update(quality="ultra"))
    cli("validate", copy, code=1)
    assert not absent.exists()  # validating never creates a workspace


def test_opening_a_broken_project_names_the_field(cli: Run, film: Path) -> None:
    _edit(film / "project.json", lambda d: d["settings"].update(fps="fast"))
    result = cli("show", "Test_Film", code=1)
    assert "is not a valid Auteur file" in result.stderr
    assert "settings.fps" in result.stderr
    assert "Traceback" not in result.stderr
