"""The studio in a notebook cell: the served studio fills the window; a cell needs a height."""

from __future__ import annotations

import panel as pn
import param

from ..ui import Studio

__all__ = ["NotebookStudio"]


class NotebookStudio(Studio):
    """The three-pane studio, at a fixed height so it shows in a notebook output."""

    height = param.Integer(default=820, bounds=(300, None), doc="Height of the cell, in pixels.")

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(self.root, height=self.height, sizing_mode="stretch_width")
