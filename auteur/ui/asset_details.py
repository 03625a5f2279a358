"""The views of locations, styles and music: a picture with its palette, or a player."""

from __future__ import annotations

import functools
import html
from pathlib import Path
from typing import Any

import panel as pn
import param
from PIL import Image, UnidentifiedImageError

from ..model import Asset, Music, Style
from ..storage import ProjectStore
from .asset_browser import asset_thumbnail
from .character_sheet import UsagePanel
from .session import StudioSession

__all__ = ["AssetDetails", "format_duration", "image_palette"]


@functools.lru_cache(maxsize=256)
def _palette(path: str, mtime_ns: int, colours: int) -> tuple[str, ...]:
    with Image.open(path) as image:
        image.thumbnail((96, 96))
        quantized = image.convert("RGB").quantize(colours)
    palette = quantized.getpalette() or []
    counts = sorted(quantized.getcolors() or [], reverse=True)
    return tuple(
        "#{:02x}{:02x}{:02x}".format(*palette[index * 3 : index * 3 + 3]) for _, index in counts
    )


def image_palette(path: Path, colours: int = 5) -> list[str]:
    """The main colours of a picture as ``#rrggbb``, most used first; empty if unreadable."""
    try:
        return list(_palette(str(path), path.stat().st_mtime_ns, colours))
    except (OSError, UnidentifiedImageError, ValueError):
        return []


def format_duration(seconds: float | None) -> str:
    """``3:07`` for 187 seconds; ``unknown`` when there is none."""
    if seconds is None:
        return "unknown"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def asset_palette(store: ProjectStore, asset: Asset) -> list[str]:
    """A style's own palette, else the colours of the asset's first picture."""
    if isinstance(asset, Style) and asset.palette:
        return list(asset.palette)
    image = next((f.path for f in asset.files if f.kind == "image"), None)
    return image_palette(store.path / image) if image else []


def _swatches(colours: list[str]) -> str:
    cells = "".join(
        f'<div role="listitem" aria-label="{c}" title="{c}" style="width:40px;height:40px;'
        f'background:{c};border:1px solid #ccc;border-radius:4px"></div>'
        for c in colours
    )
    return f'<div role="list" aria-label="Palette" style="display:flex;gap:6px">{cells}</div>'


class AssetDetails(pn.viewable.Viewer):
    """A location, style or music asset: its picture and palette, or its tracks."""

    session = param.ClassSelector(class_=StudioSession, doc="The studio session.")
    asset_id = param.String(default="", doc="The asset shown.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.body = pn.pane.HTML("", sizing_mode="stretch_width")
        self.players = pn.Column(sizing_mode="stretch_width")
        self.usage = UsagePanel(session=self.session)
        self.layout = pn.Column(self.body, self.players, self.usage, sizing_mode="stretch_width")

    def __panel__(self) -> pn.viewable.Viewable:
        return self.layout

    def show(self, asset_id: str) -> None:
        """Show the asset `asset_id` as it is now."""
        self.asset_id = asset_id
        store, found = self.session.store, self.session.find(asset_id)
        if store is None or found is None:
            return
        asset = found.item
        parts = [
            f"<h2>{html.escape(asset.name)}</h2>",
            f'<p style="color:#666">{html.escape(asset.asset_type)}</p>',
            f"<p>{html.escape(asset.description)}</p>",
        ]
        players: list[Any] = []
        if isinstance(asset, Music):
            parts.append(
                f'<p aria-label="Duration"><b>Duration:</b> {format_duration(asset.duration)}'
                + (f" &middot; {asset.bpm:g} BPM" if asset.bpm else "")
                + "</p>"
            )
            for file in asset.files:
                if file.kind == "audio" and (store.path / file.path).is_file():
                    players.append(pn.pane.HTML(f"<b>{html.escape(file.path)}</b>"))
                    players.append(pn.pane.Audio(str(store.path / file.path), name=file.path))
            if not players:
                players.append(pn.pane.HTML("<i>No track yet. Drop an audio file on it.</i>"))
        else:
            picture = asset_thumbnail(store, asset, box=480)
            parts.append(
                f'<img src="{picture}" alt="{html.escape(asset.name)} preview" '
                'style="max-height:320px;border-radius:6px">'
                if picture
                else "<p><i>No picture yet.</i></p>"
            )
            colours = asset_palette(store, asset)
            if colours:
                parts.append("<h3>Palette</h3>" + _swatches(colours))
            if isinstance(asset, Style) and asset.keywords:
                parts.append(f"<p><b>Keywords:</b> {html.escape(', '.join(asset.keywords))}</p>")
        with pn.io.hold():
            self.body.object = "".join(parts)
            self.players.objects = players
            self.usage.draw(store, asset.asset_id)
