"""Auteur in notebooks: projects that display as cards, the studio's panes, renders with live
progress, and the take strip widget.

``import auteur; ws = auteur.Workspace(); film = ws.open("My Film")``

Importing this package loads neither Panel nor Dask; the methods that need them load them.
"""

from ._cards import card, register_formatters, takes_table
from ._film import Film, TakeList, Workspace, panel_extension
from .take_strip import take_strip_rows

__all__ = [
    "Film",
    "TakeList",
    "TakeStrip",
    "Workspace",
    "card",
    "panel_extension",
    "register_formatters",
    "take_strip_rows",
    "takes_table",
]


def __getattr__(name: str) -> object:
    # The widget loads ipywidgets: only when asked for.
    if name == "TakeStrip":
        from . import take_strip

        return take_strip.TakeStrip
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
