"""The storyboard PDF: a grid of takes and cards, six to a page by default."""

from __future__ import annotations

import re

import pytest

from auteur.export import export_storyboard
from auteur.export._pictures import find_font
from auteur.export._timeline import collect
from auteur.export.storyboard import storyboard_pdf
from auteur.storage import ProjectStore

pytestmark = pytest.mark.git


def pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", data))


def test_one_page_for_up_to_six_shots(cut: ProjectStore):
    path = export_storyboard(cut)
    assert path.name == "Test_Film_storyboard.pdf"
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and pages(data) == 1


@pytest.mark.parametrize(("columns", "rows", "expected"), [(3, 2, 2), (2, 2, 3), (1, 1, 10)])
def test_pages_follow_the_grid(cut: ProjectStore, columns: int, rows: int, expected: int):
    for number in range(6):  # 4 shots + 6 = 10
        cut.add_shot("1/2", f"Extra shot {number}", framing="close-up")
    path = export_storyboard(cut, columns=columns, rows=rows)
    assert pages(path.read_bytes()) == expected


def test_text_without_a_unicode_font_falls_back_to_latin_1(cut: ProjectStore):
    cut.update("1/1/1", description="\u201cQuoted\u201d \u2014 and \u65e5\u672c")
    data = storyboard_pdf(collect(cut), font_path=None)
    assert pages(data) == 1


def test_a_scene_scope(cut: ProjectStore):
    path = export_storyboard(cut, "1/2")
    assert path.name == "Test_Film_ch01_sc02_storyboard.pdf"
    assert pages(path.read_bytes()) == 1


def test_the_system_font_is_found_or_none():
    found = find_font(None)
    assert found is None or found.is_file()
