"""The storyboard: a PDF grid of the active takes with shot code, description, dialogue, camera."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from fpdf import FPDF

from ._output import write_export
from ._pictures import find_font, previz_card, still
from ._timeline import Clip, Timeline, collect
from .animatic import Progress

if TYPE_CHECKING:
    from ..storage import ProjectStore

__all__ = ["export_storyboard", "storyboard_pdf"]

_MARGIN = 10.0  # mm
_GAP = 6.0
_HEADER = 10.0
_LINE = 4.2
_IMAGE_PX = 640  # width of the pictures embedded in the PDF
_FALLBACK = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-"}
_FALLBACK |= {"\u2014": "-", "\u2026": "...", "\u00b7": "-"}


class _Board(FPDF):
    """An A4 landscape page with a header naming the project and the page."""

    def __init__(self, title: str, font_path: Path | None) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.title_text = title
        self.unicode = False
        if font_path is not None:
            try:
                self.add_font("Board", "", str(font_path))
                self.unicode = True
            except (OSError, RuntimeError, ValueError):
                self.unicode = False
        self.family = "Board" if self.unicode else "Helvetica"
        self.set_auto_page_break(False)
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_title(title)
        self.set_creator("Auteur")

    def text_of(self, text: str) -> str:
        """`text` as the font can show it (the core font knows only Latin-1)."""
        if self.unicode:
            return text
        for char, plain in _FALLBACK.items():
            text = text.replace(char, plain)
        return text.encode("latin-1", "replace").decode("latin-1")

    def header(self) -> None:
        self.set_font(self.family, size=11)
        self.set_text_color(30, 30, 30)
        self.set_xy(_MARGIN, _MARGIN - 2)
        self.cell(0, _HEADER - 4, self.text_of(self.title_text))
        self.set_xy(_MARGIN, _MARGIN - 2)
        self.cell(0, _HEADER - 4, f"{self.page_no()} / {{nb}}", align="R")


def _picture(clip: Clip, timeline: Timeline, font_path: Path | None) -> bytes:
    width, height = timeline.size
    size = (_IMAGE_PX, max(1, round(_IMAGE_PX * height / width)))
    if clip.media is not None:
        image = still(clip.media, size)
    else:
        image = previz_card(clip, size, timeline.fps, font_path)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def _lines(pdf: _Board, text: str, width: float, most: int) -> list[str]:
    text = pdf.text_of(" ".join(text.split()))
    if not text:
        return []
    lines = pdf.multi_cell(width, _LINE, text, dry_run=True, output="LINES")
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1].rstrip()[:-1].rstrip() + ("…" if pdf.unicode else "...")
    return lines


def _panel(
    pdf: _Board, clip: Clip, timeline: Timeline, box: tuple[float, ...], font_path: Path | None
) -> None:
    x, y, width, image_height = box
    data = _picture(clip, timeline, font_path)
    pdf.image(io.BytesIO(data), x=x, y=y, w=width, h=image_height)
    pdf.set_draw_color(180, 180, 180)
    pdf.rect(x, y, width, image_height)
    y += image_height + 1.5
    pdf.set_xy(x, y)
    pdf.set_font(pdf.family, size=10)
    pdf.set_text_color(20, 20, 20)
    pdf.cell(width / 2, _LINE + 1, pdf.text_of(f"{clip.code}  ({clip.address})"))
    pdf.set_font(pdf.family, size=8)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(width / 2, _LINE + 1, pdf.text_of(clip.camera(timeline.fps)), align="R")
    y += _LINE + 1.5
    pdf.set_font(pdf.family, size=8)
    pdf.set_text_color(30, 30, 30)
    for line in _lines(pdf, clip.shot.description or clip.shot.title, width, 4):
        pdf.set_xy(x, y)
        pdf.cell(width, _LINE, line)
        y += _LINE
    pdf.set_text_color(70, 70, 110)
    said = " / ".join(f"{d.speaker.upper()}: {d.text}" for d in clip.shot.dialogue)
    for line in _lines(pdf, said, width, 3):
        pdf.set_xy(x, y)
        pdf.cell(width, _LINE, line)
        y += _LINE


def storyboard_pdf(
    timeline: Timeline,
    *,
    columns: int = 3,
    rows: int = 2,
    font_path: Path | None = None,
    progress: Progress | None = None,
) -> bytes:
    """The storyboard of `timeline` as PDF bytes: `columns` by `rows` shots a page."""
    if columns < 1 or rows < 1:
        raise ValueError("a storyboard needs at least one column and one row")
    project = timeline.project
    scope = f" — {timeline.scope}" if timeline.scope else ""
    pdf = _Board(f"{project.name}{scope} — storyboard", font_path)
    width, height = timeline.size
    page_width, page_height = pdf.w - 2 * _MARGIN, pdf.h - 2 * _MARGIN - _HEADER
    panel_width = (page_width - _GAP * (columns - 1)) / columns
    panel_height = (page_height - _GAP * (rows - 1)) / rows
    text_height = _LINE * 8.5
    image_height = min(panel_width * height / width, panel_height - text_height)
    image_width = image_height * width / height
    per_page = columns * rows
    total = len(timeline.clips)
    for index, clip in enumerate(timeline.clips):
        slot = index % per_page
        if slot == 0:
            pdf.add_page()
        column, row = slot % columns, slot // columns
        x = _MARGIN + column * (panel_width + _GAP)
        y = _MARGIN + _HEADER + row * (panel_height + _GAP)
        _panel(pdf, clip, timeline, (x, y, image_width, image_height), font_path)
        if progress is not None:
            progress(index + 1, total)
    return bytes(pdf.output())


def export_storyboard(
    store: ProjectStore,
    scope: str | None = None,
    *,
    columns: int = 3,
    rows: int = 2,
    progress: Progress | None = None,
) -> Path:
    """Export the storyboard PDF of the project, or of the chapter, scene or shot at `scope`.

    Each panel shows the shot's active take (a storyboard card when it has none), its code,
    camera, description and dialogue. Returns the path of the PDF in ``06_Exports``.
    """
    timeline = collect(store, scope)
    font_path = find_font(store.settings.export_font)
    data = storyboard_pdf(
        timeline, columns=columns, rows=rows, font_path=font_path, progress=progress
    )
    return write_export(store.path, timeline.output_name("storyboard", "pdf"), data)
