"""The studio and the take strip in a real JupyterLab, offline, driven by Chromium."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from auteur.storage import ProjectStore
from tests.notebooks.lab_server import LabServer
from tests.ui.helpers import artifacts_dir, wait_for

pytestmark = pytest.mark.slow

SETUP = """\
import io

from PIL import Image

import auteur
from auteur.model import Recipe

film = auteur.Workspace().open_or_create("Lab Film", quality="low")
if not film.item("1").scenes:
    film.add_scene("1", "Harbour at dawn")
    film.add_shot("1/1", "Anna looks out to sea")
    for colour in ((200, 40, 40), (40, 40, 200)):
        picture = io.BytesIO()
        Image.new("RGB", (64, 36), colour).save(picture, "PNG")
        film.takes.add_take("1/1/1", picture.getvalue(), Recipe(pipeline_id="previz"))
film.studio()"""

CELLS = [
    SETUP,
    'film.take_strip("1/1/1")',
    "from auteur.ui.take_strip import TakeStripPane\n"
    'TakeStripPane(session=film.session(), shot=film.item("1/1/1").id)',
]


def active_take(store: ProjectStore) -> str | None:
    store.refresh()
    return store.locate("1/1/1").shot.active_take


def write_notebook(folder: Path) -> Path:
    cells = [
        {"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": source,
         "outputs": [], "execution_count": None}
        for i, source in enumerate(CELLS)
    ]  # fmt: skip
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = folder / "studio.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


@pytest.fixture
def lab(tmp_path: Path, jupyter_env: dict[str, str], git_tools) -> Iterator[LabServer]:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    write_notebook(folder)
    server = LabServer(folder, tmp_path / "workspace", jupyter_env).start()
    yield server
    server.stop()
    print("---- auteur lab log (last lines) ----")
    print("\n".join(server.output[-40:]))


def test_studio_and_take_strips_work_in_jupyterlab_offline(lab: LabServer, browser) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    outside: list[str] = []
    errors: list[str] = []
    # The session's Chromium, shared with the studio's browser tests.
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    context.set_default_timeout(30_000)

    def offline(route) -> None:
        # Everything must come from JupyterLab itself: no CDN.
        if route.request.url.startswith(lab.url) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{lab.url}/lab/tree/studio.ipynb?token={lab.token}")
        expect(page.locator(".jp-Notebook .jp-Cell").nth(2)).to_be_visible(timeout=60_000)
        # The status bar says when the kernel is ready for the cells.
        idle = page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle"))
        expect(idle).to_be_visible(timeout=60_000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_text("Run All Cells", exact=True).click()

        # The studio shows the project in its panes: the output is not blank.
        outputs = page.locator(".jp-OutputArea-output")
        expect(page.get_by_role("button", name="All projects")).to_be_visible(timeout=90_000)
        expect(page.get_by_role("treeitem", name="Lab Film")).to_be_visible()
        boxes = [output.bounding_box() for output in outputs.all()]
        assert max(box["height"] for box in boxes if box) > 600  # the studio's panes

        assert not outside, f"the first render left the machine: {outside[:5]}"
        # The anywidget strip: picking take 02 makes it the shot's active take.
        cells = page.locator(".jp-Notebook .jp-Cell")
        anywidget_strip = cells.nth(1).get_by_role("list", name="Takes")
        panel_strip = cells.nth(2).get_by_role("list", name="Takes")
        anywidget_strip.get_by_role("button", name="Set Take 02 active").click()
        expect(anywidget_strip.get_by_role("button", name="Set Take 02 active")).to_be_disabled()
        store = ProjectStore.open(lab.workspace / "Projects" / "Lab_Film")
        second, first = (
            store.locate("1/1/1").shot.takes[1].id,
            store.locate("1/1/1").shot.takes[0].id,
        )
        wait_for(lambda: active_take(store) == second, timeout=15, what="take 02 active")
        # The Panel strip shows the same project: it follows.
        expect(panel_strip.get_by_role("button", name="Set Take 02 active")).to_be_disabled()

        # The same ES module as a Panel component: take 01 back.
        panel_strip.get_by_role("button", name="Set Take 01 active").click()
        expect(panel_strip.get_by_role("button", name="Set Take 01 active")).to_be_disabled()
        wait_for(lambda: active_take(store) == first, timeout=15, what="take 01 active")
        expect(anywidget_strip.get_by_role("button", name="Set Take 01 active")).to_be_disabled()
        # A click in the studio goes to the kernel and back: it returns to the gallery.
        page.get_by_role("button", name="All projects").click()
        expect(page.get_by_role("button", name=re.compile("New Project"))).to_be_visible()

    finally:
        print("outside:", outside[:10], "errors:", errors[:10])
        page.screenshot(path=str(artifacts_dir() / "jupyterlab-studio.png"), full_page=True)
        context.close()
    # Views the studio swaps in later (the gallery here) ask Panel's CDN for theme CSS: blocked
    # offline, and harmless (the page works, as tested above). Scripts never leave.
    assert not [url for url in outside if not url.split("?")[0].endswith(".css")], outside
    assert not errors, f"JavaScript errors in JupyterLab: {errors}"
