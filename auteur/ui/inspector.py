"""The properties inspector: a form for whatever is selected, generated from the model's fields.

Edits go through the store's commands, so that undo and redo, live updates and notebooks all
see them. Invalid values are refused with a message under the field.
"""

from __future__ import annotations

import html
import types
import typing
from enum import Enum
from typing import Any

import panel as pn
import param
from pydantic import BaseModel, ValidationError

from ..model import (
    Chapter,
    Character,
    Location,
    Music,
    NarrativeStructure,
    Project,
    ProjectSettings,
    Scene,
    Shot,
    Style,
    Take,
)
from ..storage.store import UPDATABLE_FIELDS
from .session import Selection, StudioSession, describe_error
from .take_strip import TakeStripPane
from .thumbs import image_uri, take_uri

__all__ = ["FieldEditor", "Inspector"]

#: Fields the inspector lets the user change, by kind; the rest of the model shows read-only.
EDITABLE: dict[str, tuple[str, ...]] = {
    "project": ("quality", "structure", "fps", "resolution", "aspect_ratio"),
    **UPDATABLE_FIELDS,
    "take": (),
    # Assets, by asset type.
    "Character": (
        "name",
        "description",
        "tags",
        "trigger_word",
        "prompt_fragment",
        "lora_strength",
        "ip_adapter_scale",
        "seed",
        "voice_id",
    ),
    "Location": ("name", "description", "tags"),
    "Style": ("name", "description", "tags", "keywords", "palette"),
    "Music": ("name", "description", "tags", "bpm"),
}
_MODELS: dict[str, type[BaseModel]] = {
    "chapter": Chapter,
    "scene": Scene,
    "shot": Shot,
    "take": Take,
}
_ASSET_MODELS: dict[str, type[BaseModel]] = {
    "Character": Character,
    "Location": Location,
    "Style": Style,
    "Music": Music,
}
#: Children and bulky fields that have views of their own.
_HIDDEN = {"scenes", "shots", "takes", "chapters", "narrative", "assets", "canvas", "documents"}
_LONG_TEXT = {"description", "prompt", "prompt_fragment"}
_NONE = ""  # the value of the "nothing chosen" option in selects


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The type inside `X | None`, and whether None is allowed."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return (args[0] if len(args) == 1 else annotation), True
    return annotation, False


class FieldEditor:
    """One field of a form: its widget, its inline error and how to read and write it."""

    def __init__(self, name: str, annotation: Any, on_change: Any, description: str = "") -> None:
        self.name = name
        inner, self.optional = _unwrap(annotation)
        self.enum = inner if isinstance(inner, type) and issubclass(inner, Enum) else None
        self.kind = "text"
        label = _label(name)
        options_from_project = {"location", "style", "emotional_beat", "active_take"}
        common = {
            "label": label,
            "sizing_mode": "stretch_width",
            "description": description or None,
        }
        if name == "characters":
            self.kind = "multi"
            self.widget = pn.widgets.MultiChoice(options={}, **common)
        elif self.enum is not None or name in options_from_project:
            self.kind = "select"
            self.widget = pn.widgets.Select(options=self._enum_options(), **common)
        elif inner is bool:
            self.kind = "bool"
            self.widget = pn.widgets.Checkbox(label=label)
        elif inner is int:
            self.kind = "int"
            self.widget = pn.widgets.IntInput(**common)
        elif inner is float:
            self.kind = "float"
            self.widget = pn.widgets.FloatInput(**common)
        elif name == "resolution":
            self.kind = "resolution"
            self.widget = pn.widgets.TextInput(placeholder="1920x1080", **common)
        elif typing.get_origin(inner) is list:
            self.kind = "words"
            self.widget = pn.widgets.TextInput(placeholder="comma, separated", **common)
        elif name in _LONG_TEXT:
            self.widget = pn.widgets.TextAreaInput(auto_grow=True, rows=3, max_rows=10, **common)
        else:
            self.widget = pn.widgets.TextInput(**common)
        self.error = pn.pane.HTML("", visible=False, margin=(0, 10), styles={"color": "#b00020"})
        self.layout = pn.Column(self.widget, self.error, margin=0, sizing_mode="stretch_width")
        self._on_change = on_change
        self.widget.param.watch(self._changed, "value")
        self._loading = False

    def _enum_options(self) -> dict[str, str]:
        options = {"\u2014": _NONE} if self.optional or self.enum is None else {}
        if self.enum is not None:
            options.update({member.value: member.value for member in self.enum})
        return options

    def set_choices(self, choices: dict[str, str]) -> None:
        """Options of a select filled from the project: label → id."""
        if self.kind == "multi":
            options: dict[str, str] = dict(choices)
        else:
            options = {"\u2014": _NONE, **choices}
        if options != self.widget.options:
            self.widget.options = options

    def show(self, value: Any) -> None:
        """Show `value` without treating it as an edit."""
        if isinstance(value, Enum):
            value = value.value
        if self.kind == "select":
            value = _NONE if value is None else str(value)
        elif self.kind == "resolution":
            value = f"{value[0]}x{value[1]}" if value else ""
        elif self.kind == "multi":
            value = list(value or [])
        elif self.kind == "words":
            value = ", ".join(value or [])
        elif self.kind == "text" and value is None:
            value = ""
        self._loading = True
        try:
            if self.widget.value != value:
                self.widget.value = value
        finally:
            self._loading = False
        self.set_error("")

    def read(self) -> Any:
        """The widget's value as the model wants it."""
        value = self.widget.value
        if self.kind == "select":
            return None if value == _NONE else value
        if self.kind == "resolution":
            try:
                width, height = (int(part) for part in str(value).lower().split("x"))
            except ValueError:
                raise ValueError("write the resolution as WIDTHxHEIGHT, e.g. 1920x1080") from None
            return (width, height)
        if self.kind == "words":
            return [word.strip() for word in str(value).split(",") if word.strip()]
        return value

    def set_error(self, message: str) -> None:
        """Show `message` under the field, or hide it when empty."""
        text = f'<div role="alert">{html.escape(message)}</div>' if message else ""
        if self.error.object != text:
            self.error.object = text
        self.error.visible = bool(message)

    def _changed(self, event: param.parameterized.Event) -> None:
        if not self._loading:
            self._on_change(self)


class _Form:
    """The editable fields of one kind of item, built once and reused for every item."""

    def __init__(self, kind: str, fields: list[tuple[str, Any, str]], on_change: Any) -> None:
        self.kind = kind
        self.editors = {name: FieldEditor(name, ann, on_change, doc) for name, ann, doc in fields}
        self.layout = pn.Column(
            *(e.layout for e in self.editors.values()), visible=False, sizing_mode="stretch_width"
        )


def _fields(model: type[BaseModel], names: tuple[str, ...]) -> list[tuple[str, Any, str]]:
    found = []
    for name in names:
        info = model.model_fields[name]
        found.append((name, info.annotation, info.description or ""))
    return found


def _project_fields() -> list[tuple[str, Any, str]]:
    fields = _fields(Project, ("quality",))
    fields.append(("structure", NarrativeStructure, "Narrative structure; chapters you made stay."))
    fields += _fields(ProjectSettings, ("fps", "resolution", "aspect_ratio"))
    return fields


def _read_only_rows(item: BaseModel, skip: set[str]) -> list[tuple[str, str]]:
    """Every other field of `item`, as text."""
    rows = []
    for name in type(item).model_fields:
        if name in skip or name in _HIDDEN:
            continue
        value = getattr(item, name)
        if isinstance(value, BaseModel):
            for sub, sub_value in value.model_dump(mode="json").items():
                if sub_value not in (None, "", {}, []):
                    rows.append((f"{_label(name)} {sub.replace('_', ' ')}", str(sub_value)))
            continue
        if isinstance(value, Enum):
            value = value.value
        if value in (None, "", [], {}):
            continue
        if isinstance(value, list):
            value = ", ".join(str(getattr(v, "path", v)) for v in value)
        text = str(value)
        rows.append((_label(name), text if len(text) < 300 else text[:297] + "..."))
    return rows


class Inspector(pn.viewable.Viewer):
    """The properties of the selected project, chapter, scene, shot, take or asset."""

    session = param.ClassSelector(class_=StudioSession, doc="The studio session.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.undo_button = pn.widgets.Button(
            label="Undo", description="Undo the last edit (Ctrl+Z)", disabled=True
        )
        self.redo_button = pn.widgets.Button(
            label="Redo", description="Redo the last undone edit (Ctrl+Shift+Z)", disabled=True
        )
        self.undo_button.on_click(lambda e: self.session.undo())
        self.redo_button.on_click(lambda e: self.session.redo())
        self.header = pn.pane.HTML("", sizing_mode="stretch_width", margin=(0, 10))
        self.preview = pn.pane.HTML("", visible=False, sizing_mode="stretch_width")
        self.take_strip = TakeStripPane(self.session, visible=False)
        self.set_active_button = pn.widgets.Button(
            label="Set as active take", color="primary", visible=False
        )
        self.set_active_button.on_click(lambda e: self.set_active_take())
        self.details = pn.pane.HTML("", sizing_mode="stretch_width", margin=(0, 10))
        forms = {
            "project": _project_fields(),
            **{kind: _fields(_MODELS[kind], EDITABLE[kind]) for kind in ("chapter", "scene")},
            "shot": _fields(Shot, EDITABLE["shot"]),
            **{kind: _fields(model, EDITABLE[kind]) for kind, model in _ASSET_MODELS.items()},
        }
        self.forms = {kind: _Form(kind, fields, self._edited) for kind, fields in forms.items()}
        self._shown: Selection | None = None
        self.session.param.watch(self._refresh, ["selected", "revision", "store"])
        self._refresh()

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            pn.Row(self.undo_button, self.redo_button),
            self.header,
            self.preview,
            self.take_strip,
            self.set_active_button,
            *(form.layout for form in self.forms.values()),
            self.details,
            sizing_mode="stretch_width",
        )

    # ------------------------------------------------------------ showing

    def _refresh(self, *_: Any) -> None:
        store = self.session.store
        found = self.session.selection
        with pn.io.hold():
            self.undo_button.disabled = store is None or not store.can_undo
            self.redo_button.disabled = store is None or not store.can_redo
            self._show(found)

    @staticmethod
    def _form_key(found: Selection | None) -> str:
        if found is None:
            return ""
        return found.item.asset_type if found.kind == "asset" else found.kind

    def _show(self, found: Selection | None) -> None:
        self._shown = found
        kind = self._form_key(found)
        for name, form in self.forms.items():
            if form.layout.visible != (name == kind):
                form.layout.visible = name == kind
        self._show_take_strip(found)
        if found is None:
            self.header.object = "<p>Nothing selected.</p>"
            self.details.object = ""
            self.preview.visible = self.set_active_button.visible = False
            return
        ident = html.escape(found.id)
        where = f" \u00b7 {found.address}" if found.address else ""
        self.header.object = (
            f'<h3 data-inspector-id="{ident}" style="margin:4px 0">{html.escape(found.title)}</h3>'
            f'<div style="color:#666">{found.kind.capitalize()}{html.escape(where)}</div>'
        )
        values = self._values(found)
        form = self.forms.get(kind)
        if form is not None:
            self._fill_choices(form, found)
            for name, editor in form.editors.items():
                editor.show(values.get(name))
        self._show_media(found)
        skip = set(EDITABLE.get(kind, ())) | ({"settings"} if kind == "project" else set())
        self.details.object = self._details_html(_read_only_rows(found.item, skip))

    def _show_take_strip(self, found: Selection | None) -> None:
        is_shot = found is not None and found.kind == "shot"
        if is_shot and self.take_strip.shot != found.id:
            self.take_strip.shot = found.id
            self.take_strip.refresh()
        self.take_strip.visible = is_shot and bool(found.item.takes)

    def _values(self, found: Selection) -> dict[str, Any]:
        item = found.item
        if found.kind == "project":
            settings = item.settings
            return {
                "quality": item.quality,
                "structure": item.narrative.structure,
                "fps": settings.fps,
                "resolution": settings.resolution,
                "aspect_ratio": settings.aspect_ratio,
            }
        return {name: getattr(item, name, None) for name in EDITABLE.get(self._form_key(found), ())}

    def _fill_choices(self, form: _Form, found: Selection) -> None:
        project = self.session.store.project
        assets = project.assets
        named = {
            "characters": {a.name or a.asset_id: a.asset_id for a in assets.characters},
            "location": {a.name or a.asset_id: a.asset_id for a in assets.locations},
            "style": {a.name or a.asset_id: a.asset_id for a in assets.styles},
            "emotional_beat": {b.name or b.id: b.id for b in project.narrative.emotional_beats},
        }
        if found.kind == "shot":
            named["active_take"] = {f"take{t.number:02d}": t.id for t in found.item.takes}
        for name, choices in named.items():
            if name in form.editors:
                form.editors[name].set_choices(choices)

    def _show_media(self, found: Selection) -> None:
        store = self.session.store
        picture = ""
        if found.kind == "take":
            picture = take_uri(store, found.item, box=480)
        elif found.kind == "shot" and found.item.active_take:
            take = next((t for t in found.item.takes if t.id == found.item.active_take), None)
            picture = take_uri(store, take, box=480) if take else ""
        elif found.kind == "asset":
            path = getattr(found.item, "base_face_image_path", None) or next(
                (f.path for f in found.item.files if f.kind == "image"), None
            )
            picture = image_uri(store.path, path, box=480)
        alt = html.escape(found.title)
        self.preview.object = (
            f'<img src="{picture}" alt="{alt}" style="max-width:100%;border-radius:4px">'
            if picture
            else ""
        )
        self.preview.visible = bool(picture)
        is_inactive_take = found.kind == "take" and found.shot.active_take != found.item.id
        self.set_active_button.visible = is_inactive_take

    @staticmethod
    def _details_html(rows: list[tuple[str, str]]) -> str:
        if not rows:
            return ""
        cells = "".join(
            f'<tr><th style="text-align:left;padding-right:8px;vertical-align:top;color:#555">'
            f'{html.escape(k)}</th><td style="word-break:break-all">{html.escape(v)}</td></tr>'
            for k, v in rows
        )
        return f'<table style="font-size:12px">{cells}</table>'

    # ------------------------------------------------------------ editing

    def _edited(self, editor: FieldEditor) -> None:
        found = self._shown
        store = self.session.store
        if found is None or store is None:
            return
        try:
            value = editor.read()
            self._apply(found, editor.name, value)
        except (ValidationError, ValueError, LookupError, RuntimeError, OSError) as exc:
            editor.set_error(describe_error(exc))
            return
        editor.set_error("")
        self.session.sync()

    def _apply(self, found: Selection, name: str, value: Any) -> None:
        store = self.session.store
        if found.kind == "project":
            if name == "structure":
                template = self.session.workspace.template(value)
                store.set_structure(value, template)
            elif name == "quality":
                store.update_project(quality=value)
            else:
                store.update_project(**{name: value})
            return
        if found.kind == "asset":
            store.assets.update(found.id, **{name: value})
            return
        model = _MODELS[found.kind]
        # Check the one field first, so the message names it and nothing is written.
        fields = found.item.model_dump(by_alias=False, exclude=_HIDDEN)
        model.model_validate({**fields, name: value})
        store.update(found.id, **{name: value})

    def set_active_take(self) -> None:
        """Make the selected take its shot's active take."""
        found = self._shown
        if found is None or found.kind != "take":
            return
        with self.session.reporting("Setting the active take"):
            self.session.store.update(found.shot.id, active_take=found.item.id)
            self.session.sync()
