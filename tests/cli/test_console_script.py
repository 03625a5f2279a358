"""The installed `auteur` command, run as users' scripts run it: the fixed forms."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Auteur

pytestmark = pytest.mark.git


def test_a_script_builds_a_project(auteur: Auteur, tmp_path: Path) -> None:
    out = auteur("new", "Night Train", "--quality", "low", "--structure", "story-circle").stdout
    path = Path(out.strip())
    assert out == f"{path}\n"
    assert path.parent == tmp_path / "workspace" / "Projects"
    assert (path / "project.json").is_file()
    assert auteur("chapter", "add", path, "Coda").stdout == "9\n"  # after the 8 story-circle steps
    assert auteur("scene", "add", "Night Train", "9", "Platform").stdout == "9/1\n"
    shot = auteur("shot", "add", path, "9/1", "Doors close", "--framing", "close-up").stdout
    assert shot == "9/1/1\n"
    assert "9/1/1  Doors close  close-up, 48 frames" in auteur("show", path).stdout
    (row,) = json.loads(auteur("list", "--json").stdout)
    assert (row["name"], row["quality"], row["git_status"]) == ("Night Train", "low", "clean")
    assert auteur("validate", path).stdout.endswith(": valid\n")


def test_validate_reports_a_hand_broken_manifest(auteur: Auteur, tmp_path: Path) -> None:
    path = Path(auteur("new", "Film").stdout.strip())
    manifest = path / "project.json"
    data = json.loads(manifest.read_text())
    data["quality"] = "ultra"
    data["settings"]["fps"] = "fast"
    manifest.write_text(json.dumps(data))
    errors = auteur("validate", manifest, code=1).stderr
    assert "  - quality: Input should be 'low', 'standard' or 'high' (got 'ultra')" in errors
    assert "  - settings.fps: Input should be a valid integer" in errors
    manifest.write_text('{"name": "Film",')
    assert "line 1 column 17" in auteur("validate", path, code=1).stderr


def test_delete_and_restore(auteur: Auteur) -> None:
    path = Path(auteur("new", "Film").stdout.strip())
    assert "trash" in auteur("delete", "Film").stdout
    assert not path.exists()
    assert auteur("restore", "Film").stdout.strip() == str(path)
    assert "clean" in auteur("list").stdout


def test_workspace_flag_and_environment(auteur: Auteur, tmp_path: Path) -> None:
    flagged = Path(auteur("new", "Film", "--workspace", tmp_path / "flag").stdout.strip())
    assert flagged.parent == tmp_path / "flag" / "Projects"
    env = {"AUTEUR_WORKSPACE": str(tmp_path / "flag")}
    assert auteur("show", "Film", env=env).stdout.startswith("Film")
    assert "no project named 'Film'" in auteur("show", "Film", code=1).stderr


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bell\x07", "contains control characters"),
        ("n" * 300, "is 300 characters long"),
    ],
)
def test_bad_names_give_one_error_and_exit_1(auteur: Auteur, name: str, message: str) -> None:
    done = auteur("new", name, code=1)
    assert done.stdout == ""
    assert done.stderr.startswith("Error: project name")
    assert message in done.stderr


def test_a_path_like_name_stays_inside_the_workspace(auteur: Auteur, tmp_path: Path) -> None:
    assert auteur("new", "../x").stdout == f"{tmp_path / 'workspace' / 'Projects' / 'x'}\n"


def test_python_m_auteur_and_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "auteur", "--version"], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith("auteur ")


def test_importing_the_cli_loads_no_ui_or_render_stack() -> None:
    code = (
        "import sys, auteur.cli, typer.main; typer.main.get_command(auteur.cli.app); "
        "print([m for m in ('panel', 'bokeh', 'distributed', 'docker') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
