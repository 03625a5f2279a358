"""`auteur asset add|list|usages|delete` and `auteur take list|activate|reject|delete`."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from PIL import Image
from typer.testing import CliRunner, Result

from auteur.cli.assets import asset_app, take_app
from auteur.cli.main import app as main_app
from auteur.model import Recipe
from auteur.storage import ProjectStore, Workspace

from .conftest import plain

pytestmark = pytest.mark.git

Run = Callable[..., Result]
LFS_HEADER = b"version https://git-lfs.github.com/spec/v1"


def png_bytes(colour: tuple[int, int, int] = (200, 10, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (48, 32), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def run(git_tools: None) -> Run:
    """Run `auteur asset|take ...` in-process, with the root command's error handling."""
    root = typer.Typer(cls=main_app.info.cls)
    root.add_typer(asset_app, name="asset")
    root.add_typer(take_app, name="take")
    runner = CliRunner()

    def invoke(*args: object, code: int = 0) -> Result:
        result = runner.invoke(root, [str(a) for a in args])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == code, f"{args}: {result.stdout}\n{result.stderr}"
        return result

    return invoke


@pytest.fixture
def film(workspace: Workspace) -> ProjectStore:
    """A project in the test workspace with scene 1/1 holding two shots."""
    store = workspace.create_project("CLI Film")
    store.add_scene("1", "Diner")
    store.add_shot("1/1", "Ava enters", title="Entrance")
    store.add_shot("1/1", "Close on the menu")
    store.commit("Scene")
    return store


def images(tmp_path: Path, *names: str) -> list[Path]:
    paths = []
    for n, name in enumerate(names):
        path = tmp_path / name
        path.write_bytes(png_bytes((n * 40, 20, 20)))
        paths.append(path)
    return paths


def test_asset_add_prints_the_id_and_the_imported_paths(
    run: Run, film: ProjectStore, tmp_path: Path
) -> None:
    files = images(tmp_path, "front.png", "side view.png")
    result = run("asset", "add", "CLI Film", "--category", "characters", "--name", "Ava", *files)
    asset_id, *paths = result.stdout.splitlines()
    assert asset_id.startswith("char-")
    assert paths == [
        "01_Assets/Characters/ava/front.png",
        "01_Assets/Characters/ava/side_view.png",
    ]
    store = ProjectStore.open(film.path, film.settings)
    assert store.assets.get(asset_id).name == "Ava"
    assert store.git.show("HEAD", paths[0]).startswith(LFS_HEADER)  # committed through LFS
    assert store.git.is_clean()

    # Adding to an existing asset by its name; the project may be given by folder.
    more = run("asset", "add", film.path, "-c", "characters", "-n", "ava", files[0])
    assert more.stdout.splitlines() == [asset_id, "01_Assets/Characters/ava/front_2.png"]


def test_asset_list_and_usages(run: Run, film: ProjectStore, tmp_path: Path) -> None:
    run("asset", "add", "CLI Film", "-c", "locations", "-n", "Diner", *images(tmp_path, "d.png"))
    ava = run(
        "asset", "add", "CLI Film", "-c", "characters", "-n", "Ava", *images(tmp_path, "a.png")
    )
    ava_id = ava.stdout.splitlines()[0]
    store = ProjectStore.open(film.path, film.settings)
    store.assets.cast("Ava", "1/1/1")
    store.assets.cast("Ava", "1/1/2")

    listing = plain(run("asset", "list", "CLI Film").stdout)
    assert f"characters {ava_id} 1 2 shots Ava" in listing
    assert "locations" in listing and "1 - Diner" in listing
    assert "Diner" not in run("asset", "list", "CLI Film", "--category", "characters").stdout

    for ref in ("Ava", ava_id):
        usages = run("asset", "usages", "CLI Film", ref).stdout.splitlines()
        assert usages == [
            f"Ava ({ava_id}) is used by 2 shots in 1 scene:",
            "1/1 Diner",
            "  1/1/1 S01_S01 Entrance",
            "  1/1/2 S01_S02 Close on the menu",
        ]
    assert "is not used by any shot" in run("asset", "usages", "CLI Film", "Diner").stdout


def test_asset_delete_refuses_an_asset_in_use_unless_forced(
    run: Run, film: ProjectStore, tmp_path: Path
) -> None:
    run("asset", "add", "CLI Film", "-c", "styles", "-n", "Noir", *images(tmp_path, "n.png"))
    ProjectStore.open(film.path, film.settings).assets.cast("Noir", "1/1/2")
    refused = run("asset", "delete", "CLI Film", "Noir", code=1)
    assert "is used by 1 shot(s) in 1 scene(s): 1/1/2 S01_S02" in refused.stderr
    done = run("asset", "delete", "CLI Film", "Noir", "--force")
    assert done.stdout.strip() == ".auteur/trash/01_Assets/Styles/noir"
    store = ProjectStore.open(film.path, film.settings)
    assert store.assets.list() == [] and store.locate("1/1/2").shot.style is None
    assert store.git.is_clean()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # A category that does not exist.
        (["-c", "props", "-n", "Lamp"], "unknown asset category 'props'; choose one of characters"),
        # A name that is only spaces.
        (["-c", "characters", "-n", "  "], "asset name must not be empty"),
    ],
)
def test_asset_add_reports_bad_options(
    run: Run, film: ProjectStore, tmp_path: Path, args: list[str], message: str
) -> None:
    result = run(
        "asset",
        "add",
        "CLI Film",
        *args,
        *images(tmp_path, "x.png"),
        code=1,
    )
    assert message in plain(result.stderr)


def test_asset_add_reports_bad_files_and_writes_nothing(
    run: Run, film: ProjectStore, tmp_path: Path
) -> None:
    fake = tmp_path / "face.png"
    fake.write_text("not a picture at all\n")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    head = film.git.head()
    for path, message in ((fake, "its content is text"), (empty, "is empty")):
        result = run("asset", "add", "CLI Film", "-c", "characters", "-n", "Ava", path, code=1)
        assert message in result.stderr and "Traceback" not in result.stderr
    missing = run("asset", "usages", "CLI Film", "Nobody", code=1)
    assert "no asset named 'Nobody'" in missing.stderr
    store = ProjectStore.open(film.path, film.settings)
    assert store.assets.list() == [] and store.git.head() == head and store.git.is_clean()


def test_take_list_activate_reject_delete(run: Run, film: ProjectStore) -> None:
    for n in range(3):
        film.takes.add_take("1/1/1", png_bytes((n, 0, 0)), Recipe(seed=n))
    film.takes.flush()
    listing = plain(run("take", "list", "CLI Film", "1/1/1").stdout)
    assert "1 active PNG 48x32" in listing
    assert "03_Renders/Chapter_01/Scene_01/Shot_01/S01_S01_take01.png" in listing
    assert "S01_S01_take03.png" in listing

    chosen = run("take", "activate", "CLI Film", "1/1/1", "3").stdout.strip()
    assert chosen.endswith("S01_S01_take03.png")
    store = ProjectStore.open(film.path, film.settings)
    assert store.takes.active_take("1/1/1").number == 3 and store.git.is_clean()

    run("take", "reject", "CLI Film", "1/1/1", "3")
    assert "3 rejected" in plain(run("take", "list", "CLI Film", "1/1/1").stdout)
    run("take", "reject", "CLI Film", "1/1/1", "3", "--restore")
    trashed = run("take", "delete", "CLI Film", "1/1/1", "2").stdout.strip()
    assert trashed == ".auteur/trash/03_Renders/Chapter_01/Scene_01/Shot_01/S01_S01_take02.png"
    store = ProjectStore.open(film.path, film.settings)
    assert [t.number for t in store.locate("1/1/1").shot.takes] == [1, 3]
    assert store.git.is_clean()

    assert run("take", "list", "CLI Film", "1/1/2").stdout.strip() == "No takes."
    assert "no take '7'" in run("take", "activate", "CLI Film", "1/1/1", "7", code=1).stderr
    assert "no shot 5" in run("take", "list", "CLI Film", "1/1/5", code=1).stderr
