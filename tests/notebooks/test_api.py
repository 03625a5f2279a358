"""The notebook API: Film objects, cards, panes and the take strip widget, without a kernel."""

from __future__ import annotations

import subprocess
import sys

import pytest

import auteur
from auteur.notebook import Film, TakeList, Workspace, card, takes_table
from auteur.storage import ProjectStore


def test_auteur_workspace_opens_projects_as_films(film: Film, nb_workspace: Workspace):
    assert auteur.Workspace is Workspace
    opened = nb_workspace.open("Notebook Film")
    assert isinstance(opened, Film) and isinstance(opened, ProjectStore)
    assert opened.workspace is nb_workspace
    again = nb_workspace.open_or_create("Notebook Film")
    assert again.path == film.path
    assert "Notebook Film" in nb_workspace._repr_html_()


def test_importing_the_notebook_api_loads_no_panel_dask_or_widgets():
    code = (
        "import sys, auteur; auteur.Workspace; import auteur.notebook; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'panel', 'bokeh', 'distributed', 'ipywidgets', 'anywidget'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("address", "kind", "expected"),
    [
        (None, "project", ["Notebook Film", "low", "1 scenes, 2 shots", "Anna"]),
        ("1", "chapter", ["Chapter 1", "Harbour at dawn"]),
        ("1/1", "scene", ["Scene 1: Harbour at dawn", "Anna looks out to sea"]),
        ("1/1/1", "shot", ["Shot 1", "Anna looks out to sea", "Takes"]),
    ],
)
def test_project_chapter_scene_and_shot_show_as_cards(film, address, kind, expected):
    html = film._repr_html_() if address is None else card(film.item(address))
    assert f"auteur-{kind}" in html
    for text in expected:
        assert text in html


def test_take_and_character_cards(film: Film):
    take = film.item("1/1/1").takes[0]
    assert "Take 01" in card(take) and "previz" in card(take)
    anna = film.character("Anna")
    html = card(anna)
    assert "auteur-character" in html and "anna_v1" in html and "concept" in html
    with pytest.raises(LookupError):
        film.character("Nobody")


def test_model_objects_get_cards_in_ipython(film: Film):
    interactive = pytest.importorskip("IPython.core.interactiveshell")
    shell = interactive.InteractiveShell.instance()
    try:
        from auteur.notebook import register_formatters

        assert register_formatters()
        data, _ = shell.display_formatter.format(film.item("1/1"))
        assert "auteur-scene" in data["text/html"]
        data, _ = shell.display_formatter.format(film)
        assert "auteur-project" in data["text/html"]
    finally:
        interactive.InteractiveShell.clear_instance()


def test_takes_of_a_shot_show_as_a_table_with_pictures(film: Film):
    takes = film.takes_of("1/1/1")
    assert isinstance(takes, TakeList) and [t.number for t in takes] == [1, 2]
    assert [r["shot"] for r in takes.rows()] == ["S01_S01", "S01_S01"]
    html = takes._repr_html_()
    assert html.count("data:image/jpeg;base64,") == 2
    assert "S01_S01 take02" in repr(takes)
    assert film.takes_of("1/1/2")._repr_html_() == "<i>No take.</i>"
    assert "S01_S01" in takes_table([("S01_S01", takes[0])])


def test_take_strip_sets_the_active_take_through_the_store(film: Film):
    strip = film.take_strip("1/1/1")
    first, second = strip.takes
    assert strip.active == first["id"] and first["active"] and first["thumb"].startswith("data:")
    assert [t["label"] for t in strip.takes] == ["Take 01", "Take 02"]

    strip.active = second["id"]  # what the browser sends when "Set active" is clicked
    assert film.item("1/1/1").active_take == second["id"]
    reopened = ProjectStore.open(film.path, film.settings)
    assert reopened.locate("1/1/1").shot.active_take == second["id"]
    assert [t["active"] for t in strip.takes] == [False, True]

    film.takes.set_active("1/1/1", first["id"])  # chosen elsewhere: the strip follows
    assert strip.active == first["id"] and [t["active"] for t in strip.takes] == [True, False]
    strip.close()
    film.takes.set_active("1/1/1", second["id"])
    assert strip.active == first["id"]  # a closed strip no longer listens

    strip = film.take_strip("1/1/1")
    strip.active = "take-unknown"
    assert strip.error and strip.active == second["id"]  # refused, and the strip shows the truth


def test_take_strip_state_syncs_to_the_front_end(film: Film):
    strip = film.take_strip("1/1/1")
    state = strip.get_state()
    assert state["active"] == strip.active and len(state["takes"]) == 2
    assert "export default" in state["_esm"]  # anywidget ships the same ES module file


def test_the_one_es_module_serves_both_widget_hosts(film: Film):
    from auteur.notebook.take_strip import TAKE_STRIP_ESM, TakeStrip
    from auteur.ui.take_strip import TakeStripPane

    assert TAKE_STRIP_ESM.parent.name == "widgets"
    assert str(TakeStrip._esm) == TAKE_STRIP_ESM.read_text(encoding="utf-8")
    assert TakeStripPane._esm == TAKE_STRIP_ESM
    assert isinstance(film.take_strip("1/1/2"), TakeStrip)
