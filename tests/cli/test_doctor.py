"""`auteur doctor`: what it checks, what it advises, and its exit code."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from auteur.cli import doctor

from .conftest import Auteur

pytestmark = pytest.mark.git


def _bin(tmp_path: Path, *tools: str) -> str:
    """A PATH holding only `tools`, linked to the real ones."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in tools:
        real = shutil.which(tool)
        assert real is not None
        (folder / tool).symlink_to(real)
    return str(folder)


def test_doctor_checks_every_tool(auteur: Auteur) -> None:
    out = auteur("doctor").stdout
    lines = out.splitlines()
    for name in ("git", "git-lfs", "docker", "dask", "chromium", "settings"):
        assert any(line.split()[1:2] == [name] for line in lines if line.strip()), name
    assert any(line.split()[:2] == ["ok", "git-lfs"] for line in lines)
    assert out.rstrip().endswith("Everything Auteur needs is here.")
    # Tools that are absent here are optional, and the advice names what needs them.
    for line in lines:
        if line.strip().startswith("optional"):
            assert "needed for" in line and "fix:" in line


def test_doctor_fails_without_git(auteur: Auteur, tmp_path: Path) -> None:
    done = auteur("doctor", code=1, env={"PATH": _bin(tmp_path)})
    assert "MISSING  git       git is not installed" in done.stdout
    assert "apt-get install git)" in done.stdout
    assert "optional, needed for container pipelines; fix: apt-get install docker.io" in done.stdout
    assert done.stderr == "Missing what Auteur needs: git, git-lfs.\n"


def test_doctor_fails_without_git_lfs(auteur: Auteur, tmp_path: Path) -> None:
    done = auteur("doctor", code=1, env={"PATH": _bin(tmp_path, "git")})
    assert "ok       git " in done.stdout
    assert "MISSING  git-lfs" in done.stdout
    assert "apt-get install git-lfs" in done.stdout
    assert done.stderr == "Missing what Auteur needs: git-lfs.\n"


def test_doctor_reports_a_broken_settings_file(auteur: Auteur, tmp_path: Path) -> None:
    root = tmp_path / "workspace"
    root.mkdir()
    (root / "settings.json").write_text('{"lockTimeout": "soon"}')
    done = auteur("doctor", code=1)
    assert "MISSING  settings  invalid: " in done.stdout
    # The problem is named as it is written: the file and its camelCase key.
    assert "settings.json: lockTimeout: Input should be a valid number" in done.stdout


def test_chromium_is_found_on_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    browser = folder / "chromium-browser"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))
    assert doctor.check_chromium() == doctor.Check(
        "chromium", True, str(browser), needed_for="UI tests"
    )
    browser.unlink()
    monkeypatch.setattr(doctor, "CHROMIUM_FALLBACK", tmp_path / "absent")
    missing = doctor.check_chromium()
    assert (missing.ok, missing.required, missing.fix) == (False, False, "apt-get install chromium")


def test_an_unreachable_docker_engine_is_optional(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("docker") is None:
        pytest.skip("the docker command is not installed")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'docker.sock'}")
    check = doctor.check_docker(timeout=1.0)
    assert (check.ok, check.required) == (False, False)
    assert check.detail.startswith("engine not reachable")
    assert "DOCKER_HOST" in check.fix


def test_docker_without_its_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    check = doctor.check_docker(timeout=1.0)
    assert (check.ok, check.detail, check.fix) == (
        False,
        "docker command not found",
        "apt-get install docker.io",
    )
    assert os.environ["PATH"] == str(tmp_path)
