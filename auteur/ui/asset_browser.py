"""The asset browser: characters, locations, styles and music as thumbnails, with search, a
folder filter, uploads by drag and drop, and assets that drag onto shots to cast them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import panel as pn
import param

from ..model import Asset, Character, Music
from ..storage import ProjectStore
from ._component import ActionComponent
from .session import ASSET_GROUPS, StudioSession
from .thumbs import image_uri
from .uploads import UploadReceiver

__all__ = ["AssetBrowser", "AssetGrid", "asset_folders", "asset_thumbnail", "matches"]

_HERE = Path(__file__).parent
_ICONS = {"characters": "\U0001f464", "locations": "\U0001f3de", "styles": "\U0001f3a8"}
_ICONS["music"] = "\u266b"
#: Assets with no tag sit in this folder.
UNFILED = "Unfiled"
ALL_FOLDERS = "All folders"


class AssetGrid(ActionComponent):
    """The thumbnails of one category, by folder, with a drop zone for uploads."""

    folders = param.List(default=[], doc="Folders shown: name and items (id, name, thumb...).")
    selected = param.String(default="", doc="Id of the selected asset.")
    drop_text = param.String(default="", doc="What the drop zone says.")
    empty_text = param.String(default="", doc="What to say when nothing matches.")
    chunk_size = param.Integer(default=512 * 1024, doc="Bytes of a file sent per message.")

    _esm = _HERE / "asset_browser.js"
    _stylesheets = [(_HERE / "asset_browser.css").read_text(encoding="utf-8")]


def asset_thumbnail(store: ProjectStore, asset: Asset, box: int = 128) -> str:
    """A data URI of the asset's picture: a character's base face, else its first image."""
    paths = [getattr(asset, "base_face_image_path", None)]
    paths += [f.path for f in asset.files if f.kind == "image"]
    for path in paths:
        uri = image_uri(store.path, path, box) if path else ""
        if uri:
            return uri
    return ""


def matches(asset: Asset, query: str) -> bool:
    """Whether the search `query` finds `asset`: every word in its name, description, tags..."""
    words = query.casefold().split()
    if not words:
        return True
    text = " ".join(
        [asset.name, asset.description, *asset.tags, getattr(asset, "trigger_word", "")]
    ).casefold()
    return all(word in text for word in words)


def _note(asset: Asset) -> str:
    if isinstance(asset, Character):
        return asset.stage.value.replace("-", " ")
    if isinstance(asset, Music) and asset.duration:
        minutes, seconds = divmod(round(asset.duration), 60)
        return f"{minutes}:{seconds:02d}"
    return f"{len(asset.files)} file(s)"


def asset_folders(
    store: ProjectStore, category: str, query: str = "", folder: str = ALL_FOLDERS
) -> list[dict[str, Any]]:
    """The folders of `category` (an asset's first tag; untagged ones are unfiled), each with
    the assets that match the search and the folder filter."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for asset in getattr(store.project.assets, category):
        name = asset.tags[0] if asset.tags else UNFILED
        if folder not in (ALL_FOLDERS, name) or not matches(asset, query):
            continue
        groups.setdefault(name, []).append(
            {
                "id": asset.asset_id,
                "name": asset.name or asset.asset_id,
                "thumb": asset_thumbnail(store, asset),
                "icon": _ICONS.get(category, ""),
                "note": _note(asset),
            }
        )
    order = sorted(groups, key=lambda n: (n == UNFILED, n.casefold()))
    return [{"name": name, "items": groups[name]} for name in order]


def folder_names(store: ProjectStore, category: str) -> list[str]:
    """The folder filter's choices for `category`."""
    names = {a.tags[0] if a.tags else UNFILED for a in getattr(store.project.assets, category)}
    return [ALL_FOLDERS, *sorted(names, key=lambda n: (n == UNFILED, n.casefold()))]


class AssetBrowser(pn.viewable.Viewer):
    """The asset library of the open project, one category at a time."""

    session = param.ClassSelector(class_=StudioSession, doc="The studio session.")
    category = param.Selector(default="characters", objects=list(ASSET_GROUPS), doc="Shown.")
    query = param.String(default="", doc="Search words.")
    folder = param.String(default=ALL_FOLDERS, doc="The folder shown, or all of them.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.uploads = UploadReceiver(self.session)
        self.tabs = pn.widgets.RadioButtonGroup(
            options={g.capitalize(): g for g in ASSET_GROUPS},
            value=self.category,
            variant="outline",
            sizing_mode="stretch_width",
            label="Asset category",
        )
        self.search = pn.widgets.TextInput(
            placeholder="Search assets", sizing_mode="stretch_width", margin=(4, 5)
        )
        self.filter = pn.widgets.Select(
            label="Folder", options=[ALL_FOLDERS], sizing_mode="stretch_width", margin=(4, 5)
        )
        self.grid = AssetGrid()
        self.grid.on_action(self._on_action)
        self.tabs.link(self, value="category")
        self.search.param.watch(lambda e: setattr(self, "query", e.new), "value_input")
        self.filter.param.watch(lambda e: setattr(self, "folder", e.new or ALL_FOLDERS), "value")
        self.param.watch(self._draw, ["category", "query", "folder"])
        self.session.param.watch(self._draw, ["store", "revision"])
        self.session.param.watch(self._on_selected, "selected")
        self._draw()

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            self.tabs, self.search, self.filter, self.grid, sizing_mode="stretch_width"
        )

    def _draw(self, *_: Any) -> None:
        store = self.session.store
        if store is None:
            self.grid.folders = []
            return
        names = folder_names(store, self.category)
        folder = self.folder if self.folder in names else ALL_FOLDERS
        with pn.io.hold():
            if self.filter.options != names:
                self.filter.options = names
            self.filter.value = folder
            self.grid.param.update(
                folders=asset_folders(store, self.category, self.query, folder),
                drop_text=f"Drop files here to add {self.category}, or choose files",
                empty_text=(
                    f"No {self.category} match the search."
                    if self.query or folder != ALL_FOLDERS
                    else f"No {self.category} yet. Drop files here to add some."
                ),
            )
            self._on_selected()

    def _on_selected(self, *_: Any) -> None:
        found = self.session.selection
        wanted = found.id if found is not None and found.kind == "asset" else ""
        if self.grid.selected != wanted:
            self.grid.selected = wanted

    def _on_action(self, msg: dict[str, Any]) -> None:
        action = msg["action"]
        if action == "select" and isinstance(msg.get("id"), str):
            self.session.select(msg["id"])
        elif action.startswith("upload_"):
            created = self.uploads.handle(msg, self.category)
            if created:
                self.session.select(created)
