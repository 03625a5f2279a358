"""The studio and each pane display in a notebook; the take strip as a Panel component."""

from __future__ import annotations

import panel as pn
import pytest

from auteur.notebook import Film


@pytest.mark.parametrize(
    ("pane", "args", "view"),
    [
        ("browser", (), "ProjectBrowser"),
        ("inspector", (), "Inspector"),
        ("progress", (), "ProgressArea"),
        ("scene_view", ("1/1",), "SceneView"),
        ("character_sheet", ("Anna",), "CharacterSheet"),
    ],
)
def test_each_pane_displays_on_its_own(film: Film, pane, args, view):
    shown = getattr(film, pane)(*args)
    assert type(shown).__name__ == view
    assert shown.session.store is film
    model = pn.panel(shown).get_root()  # what a notebook cell renders
    assert model is not None


def test_studio_shows_the_project_in_three_panes(film: Film):
    studio = film.studio()
    assert studio.session.store is film
    assert studio.body.objects == [studio.panes]
    assert "Notebook Film" in studio.title.object
    assert pn.panel(studio).get_root() is not None
    film.select("1/1/2")
    assert studio.session.selected == film.item("1/1/2").id


def test_take_strip_pane_sets_the_active_take(film: Film):
    from auteur.ui.take_strip import TakeStripPane

    shot = film.item("1/1/1")
    strip = TakeStripPane(session=film.session(), shot=shot.id)
    assert [t["number"] for t in strip.takes] == [1, 2] and strip.active == shot.takes[0].id
    assert strip.get_root() is not None

    strip.active = shot.takes[1].id  # what the browser sends when "Set active" is clicked
    assert film.item("1/1/1").active_take == shot.takes[1].id
    assert [t["active"] for t in strip.takes] == [False, True]
