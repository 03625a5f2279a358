"""Settings from one place: defaults < workspace settings file < AUTEUR_* variables < flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auteur.config import Settings, default_workspace, load_settings, settings_path
from auteur.model import ManifestError, Quality


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A workspace folder with a settings file."""
    folder = tmp_path / "ws"
    folder.mkdir()
    return folder


def write_settings(root: Path, data: object) -> None:
    settings_path(root).write_text(json.dumps(data), encoding="utf-8")


def test_package_defaults(root: Path):
    settings = load_settings(root, environ={})
    assert settings == Settings(workspace=root)
    assert settings.default_quality is Quality.STANDARD
    assert settings.lock_timeout > 0


def test_default_workspace_is_in_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_workspace() == tmp_path / "Auteur_Workspace"
    assert load_settings(environ={}).workspace == tmp_path / "Auteur_Workspace"


def test_workspace_from_environment_then_argument(tmp_path: Path):
    environ = {"AUTEUR_WORKSPACE": str(tmp_path / "env")}
    assert load_settings(environ=environ).workspace == tmp_path / "env"
    assert load_settings(tmp_path / "flag", environ=environ).workspace == tmp_path / "flag"
    assert load_settings("~/films", environ={}).workspace == Path.home() / "films"


@pytest.mark.parametrize(
    ("in_file", "in_environment", "flag", "expected"),
    [
        (None, None, None, 10.0),  # package default
        (5, None, None, 5.0),  # the workspace's file wins over the default
        (5, "7", None, 7.0),  # the environment wins over the file
        (5, "7", 9, 9.0),  # a flag wins over everything
        (None, None, 9, 9.0),
        (5, None, 9, 9.0),
    ],
)
def test_each_layer_wins_over_the_last(
    root: Path, in_file: float | None, in_environment: str | None, flag: float | None, expected
):
    if in_file is not None:
        write_settings(root, {"lockTimeout": in_file})  # camelCase, as the workspace writes it
    environ = {} if in_environment is None else {"AUTEUR_LOCK_TIMEOUT": in_environment}
    assert load_settings(root, environ=environ, lock_timeout=flag).lock_timeout == expected


def test_file_may_use_python_names_too(root: Path):
    write_settings(root, {"default_quality": "high", "autoCommit": False})
    settings = load_settings(root, environ={})
    assert settings.default_quality is Quality.HIGH
    assert settings.auto_commit is False


def test_the_file_cannot_move_the_workspace(root: Path, tmp_path: Path):
    write_settings(root, {"workspace": str(tmp_path / "elsewhere")})
    assert load_settings(root, environ={}).workspace == root


def test_environment_values_are_parsed(root: Path):
    environ = {
        "AUTEUR_AUTO_COMMIT": "false",
        "AUTEUR_STUDIO_PORT": "6006",
        "AUTEUR_UI": '{"theme": "dark"}',
        "AUTEUR_DEFAULT_STRUCTURE": "story-circle",
        "OTHER_STUDIO_PORT": "1",
    }
    settings = load_settings(root, environ=environ)
    assert settings.auto_commit is False
    assert settings.studio_port == 6006
    assert settings.ui == {"theme": "dark"}
    assert settings.default_structure == "story-circle"


def test_unset_flags_are_ignored(root: Path):
    write_settings(root, {"studioPort": 7000})
    assert load_settings(root, environ={}, studio_port=None).studio_port == 7000


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{ nope", "line 1 column 3"),  # not JSON
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_a_broken_settings_file_is_reported(root: Path, content: str, problem: str):
    settings_path(root).write_text(content)
    with pytest.raises(ManifestError, match=problem) as info:
        load_settings(root, environ={})
    assert info.value.source == str(settings_path(root))


@pytest.mark.parametrize(
    ("environ", "flags", "where"),
    [
        ({"AUTEUR_LOCK_TIMEOUT": "soon"}, {}, "AUTEUR_LOCK_TIMEOUT"),
        ({}, {"studio_port": 70000}, "option studio_port"),
        ({"AUTEUR_DEFAULT_QUALITY": "ultra"}, {}, "AUTEUR_DEFAULT_QUALITY"),
    ],
)
def test_bad_values_name_where_they_came_from(root: Path, environ: dict, flags: dict, where: str):
    with pytest.raises(ManifestError) as info:
        load_settings(root, environ=environ, **flags)
    assert any(p.startswith(f"{where}: ") for p in info.value.problems), info.value.problems


def test_a_bad_value_in_the_file_names_the_file_and_key(root: Path):
    write_settings(root, {"lockTimeout": -1})
    with pytest.raises(ManifestError) as info:
        load_settings(root, environ={})
    (problem,) = info.value.problems
    assert problem.startswith(f"{settings_path(root)}: lockTimeout: ")


def test_every_setting_is_documented():
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} needs a description"
