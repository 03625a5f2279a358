"""Fixtures for the notebook tests: isolated Jupyter state, a notebook-API workspace, a film."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest
from PIL import Image

from auteur.config import load_settings
from auteur.model import Recipe
from auteur.notebook import Film, Workspace

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


@pytest.fixture
def jupyter_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a kernel or a Jupyter server: Jupyter and IPython state in `tmp_path`,
    the test's workspace, and no Dask dashboard port to fight over."""
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        folder = tmp_path / "jupyter" / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    env["AUTEUR_RENDER_DASHBOARD_ADDRESS"] = ""
    env["PYTHONWARNINGS"] = "ignore"  # the kernel's own deprecation notices are not ours
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 36), colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def nb_workspace(tmp_path: Path, git_tools: None) -> Workspace:
    """A workspace whose projects open as `Film` objects."""
    root = tmp_path / "workspace"
    return Workspace(root, settings=load_settings(root, render_dashboard_address=""))


@pytest.fixture
def film(nb_workspace: Workspace) -> Film:
    """A low-tier film with one scene, two shots, a character and two takes of shot 1/1/1."""
    film = nb_workspace.create_project("Notebook Film", quality="low")
    film.update_project(resolution=(160, 90))
    film.add_scene("1", "Harbour at dawn")
    anna = film.assets.create_character("Anna", trigger_word="anna_v1")
    film.add_shot("1/1", "Anna looks out to sea", characters=[anna.asset_id])
    film.add_shot("1/1", "The ferry appears")
    film.takes.add_take("1/1/1", png((200, 40, 40)), Recipe(pipeline_id="previz", seed=1))
    film.takes.add_take("1/1/1", png((40, 40, 200)), Recipe(pipeline_id="previz", seed=2))
    yield film
    film.close()
