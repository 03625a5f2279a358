"""The asset view: the character sheet for a character, the location, style or music view
for the others."""

from __future__ import annotations

from typing import Any

import panel as pn
import param

from ..model import Character
from .asset_details import AssetDetails
from .character_sheet import CharacterSheet
from .session import StudioSession

__all__ = ["AssetView"]


class AssetView(pn.viewable.Viewer):
    """The selected asset, in the view that suits its category."""

    session = param.ClassSelector(class_=StudioSession, doc="The studio session.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.sheet = CharacterSheet(session=self.session)
        self.details = AssetDetails(session=self.session)
        self.hint = pn.pane.HTML(
            "<p><i>Select an asset in the Assets tab to see it here.</i></p>",
            sizing_mode="stretch_width",
        )
        self.body = pn.Column(self.hint, sizing_mode="stretch_width")
        self.session.param.watch(self._draw, ["selected", "revision", "store"])
        self._draw()

    def __panel__(self) -> pn.viewable.Viewable:
        return self.body

    def _draw(self, *_: Any) -> None:
        found = self.session.selection
        if self.session.store is None or found is None or found.kind != "asset":
            self.body.objects = [self.hint]
            return
        view = self.sheet if isinstance(found.item, Character) else self.details
        view.show(found.id)
        if self.body.objects != [view.layout]:
            self.body.objects = [view.layout]
