"""The asset view: the selected asset's pictures and where it is used."""

from __future__ import annotations

import html
from typing import Any

import panel as pn
import param

from ..model import shot_code
from .session import StudioSession
from .thumbs import image_uri

__all__ = ["AssetView"]


class AssetView(pn.viewable.Viewer):
    """The selected asset: its description, its pictures and the shots using it."""

    session = param.ClassSelector(class_=StudioSession, doc="The studio session.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.body = pn.pane.HTML("", sizing_mode="stretch_width")
        self.session.param.watch(self._draw, ["selected", "revision", "store"])
        self._draw()

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(self.body, sizing_mode="stretch_width")

    def _draw(self, *_: Any) -> None:
        found = self.session.selection
        store = self.session.store
        if store is None or found is None or found.kind != "asset":
            self.body.object = "<p><i>Select an asset in the Assets tab to see it here.</i></p>"
            return
        asset = found.item
        pictures = []
        for file in asset.files:
            uri = image_uri(store.path, file.path, box=240) if file.kind == "image" else ""
            if uri:
                caption = html.escape(file.label or file.path.rsplit("/", 1)[-1])
                pictures.append(
                    f'<figure style="margin:0"><img src="{uri}" alt="{caption}" '
                    f'style="height:160px;border-radius:4px"><figcaption>{caption}'
                    "</figcaption></figure>"
                )
        used = []
        for _, scene, shot in store.iter_shots():
            if shot.id in asset.usage:
                used.append(html.escape(f"{shot_code(scene, shot)} {shot.description[:60]}"))
        usage = "".join(f"<li>{u}</li>" for u in used) or "<li><i>Not used by any shot</i></li>"
        gallery = "".join(pictures) or "<p><i>No picture yet.</i></p>"
        self.body.object = (
            f"<h2>{html.escape(asset.name)}</h2>"
            f'<p style="color:#666">{html.escape(asset.asset_type)}</p>'
            f"<p>{html.escape(asset.description)}</p>"
            f'<div style="display:flex;gap:12px;flex-wrap:wrap">{gallery}</div>'
            f'<h3>Used in</h3><ul aria-label="Used in">{usage}</ul>'
        )
