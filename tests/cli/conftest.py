"""Fixtures for the command-line tests: run `auteur` in-process or as a real process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from auteur.cli import app

Run = Callable[..., Result]
Auteur = Callable[..., subprocess.CompletedProcess[str]]

_BOX = re.compile(r"[\s\u2500-\u257f]+")


def plain(text: str) -> str:
    """`text` with rich's box drawing and line wrapping folded into single spaces."""
    return _BOX.sub(" ", text).strip()


@pytest.fixture
def cli(git_tools: None) -> Run:
    """Run `auteur ARGS...` in-process; check the exit code (0 unless `code=` says otherwise)."""
    runner = CliRunner()

    def run(*args: object, input: str | None = None, code: int = 0) -> Result:
        result = runner.invoke(app, [str(arg) for arg in args], input=input)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception  # a bug, not a reported error: show its traceback
        assert result.exit_code == code, (
            f"auteur {' '.join(map(str, args))} exited {result.exit_code}\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}"
        )
        return result

    return run


@pytest.fixture
def film(cli: Run) -> Path:
    """A three-act project made with `auteur new`; its folder."""
    return Path(cli("new", "Test Film", "--quality", "standard").stdout.strip())


def auteur_command() -> list[str]:
    """The console script next to this Python, else ``python -m auteur``."""
    script = Path(sys.executable).with_name("auteur")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "auteur"]


@pytest.fixture
def auteur(git_tools: None) -> Auteur:
    """Run the real `auteur` process with this test's environment (AUTEUR_WORKSPACE set)."""

    def run(
        *args: object, code: int = 0, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*auteur_command(), *map(str, args)],
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            timeout=120,
            check=False,
        )
        assert done.returncode == code, (
            f"auteur {args} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
        )
        assert "Traceback" not in done.stderr
        return done

    return run
