"""The character sheet: a character's face and stage, its editable metadata, its pictures,
its LoRA training and generation, and the shots that use it."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import panel as pn
import param

from ..model import Character, CharacterStage, LoraTrainingStatus, shot_code
from ..storage import ProjectStore
from .session import StudioSession
from .thumbs import image_uri

__all__ = ["CharacterSheet", "UsagePanel", "cast_choices", "gallery_items"]

_ANGLES = ["front", "left", "right", "back", "three-quarter"]


def gallery_items(character: Character) -> list[dict[str, str]]:
    """The character's labelled pictures: base face, references, variations, IP-Adapter."""
    items: list[dict[str, str]] = []
    seen: set[str] = set()

    def add(path: str | None, label: str, role: str) -> None:
        if path and path not in seen:
            seen.add(path)
            items.append({"path": path, "label": label, "role": role})

    add(character.base_face_image_path, "base face", "base")
    for ref in character.reference_images:
        add(ref.path, f"reference: {ref.angle}", "reference")
    for key, path in character.variations.items():
        add(path, f"variation: {key.replace('_', ' ')}", "variation")
    for path in character.ip_adapter_images:
        add(path, "IP-Adapter", "ip-adapter")
    for file in character.files:
        if file.kind == "image":
            add(file.path, file.label or "image", "image")
    return items


def cast_choices(store: ProjectStore) -> dict[str, str]:
    """Every shot by a readable name (`1.2 SH03 Title`) → its id, in story order."""
    choices = {}
    for chapter, scene, shot in store.iter_shots():
        name = f"{chapter.number}.{scene.number} {shot_code(scene, shot)}"
        if shot.title:
            name += f" {shot.title}"
        choices[name] = shot.id
    return choices


class UsagePanel(pn.viewable.Viewer):
    """The scenes and shots using an asset, each a link to its shot; and casting to a shot."""

    session = param.ClassSelector(class_=StudioSession, doc="The studio session.")
    asset_id = param.String(default="", doc="The asset shown.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.shots = pn.Column(sizing_mode="stretch_width")
        self.target = pn.widgets.Select(label="Cast to shot", options={}, width=260)
        self.cast_button = pn.widgets.Button(label="Cast", color="primary", width=80)
        self.cast_button.on_click(lambda e: self.cast())
        self.layout = pn.Column(
            pn.pane.HTML("<h3>Usage</h3>", margin=(0, 5)),
            self.shots,
            pn.Row(self.target, self.cast_button, align="end"),
            sizing_mode="stretch_width",
        )

    def __panel__(self) -> pn.viewable.Viewable:
        return self.layout

    def draw(self, store: ProjectStore, asset_id: str) -> None:
        """Show the usages of `asset_id`."""
        self.asset_id = asset_id
        usages = store.assets.find_usages(asset_id)
        rows: list[Any] = []
        for scene in usages.scenes:
            rows.append(
                pn.pane.HTML(
                    f"<b>Scene {html.escape(scene.address)}: {html.escape(scene.title)}</b>",
                    margin=(0, 5),
                )
            )
            for shot in usages.shots:
                if shot.scene_id != scene.scene_id:
                    continue
                label = f"{shot.code} {shot.label}".strip()
                button = pn.widgets.Button(label=label, variant="outline", margin=(0, 5, 0, 20))
                button.on_click(lambda e, ident=shot.shot_id: self.session.select(ident))
                rows.append(button)
        if not rows:
            rows = [pn.pane.HTML("<i>Not used by any shot yet.</i>", margin=(0, 5))]
        choices = cast_choices(store)
        with pn.io.hold():
            self.shots.objects = rows
            if self.target.options != choices:
                self.target.options = choices

    def cast(self) -> None:
        """Use the asset in the chosen shot."""
        store = self.session.store
        if store is None or not self.asset_id or not self.target.value:
            return
        with self.session.reporting("Casting"):
            store.assets.cast(self.asset_id, self.target.value)
            self.session.sync()


class CharacterSheet(pn.viewable.Viewer):
    """Everything about one character, editable through the asset library's commands."""

    session = param.ClassSelector(class_=StudioSession, doc="The studio session.")
    asset_id = param.String(default="", doc="The character shown.")
    lora_progress = param.Dict(default={}, doc="Character id → latest LoRA training progress.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.header = pn.pane.HTML("", sizing_mode="stretch_width")
        self.advance = pn.widgets.Button(label="Advance stage", width=140)
        self.advance.on_click(lambda e: self.advance_stage())
        self._build_metadata()
        self._build_gallery()
        self._build_generation()
        self.usage = UsagePanel(session=self.session)
        self.layout = pn.Column(
            pn.Row(self.header, self.advance, sizing_mode="stretch_width"),
            pn.Row(
                pn.Column(self.metadata, sizing_mode="stretch_width"),
                pn.Column(self.generation, self.usage, sizing_mode="stretch_width"),
                sizing_mode="stretch_width",
            ),
            self.gallery,
            sizing_mode="stretch_width",
        )
        self._unsubscribe: Any = None
        self.session.param.watch(self._follow_store, "store")
        self.param.watch(self._draw_lora, "lora_progress")
        self._follow_store()

    def __panel__(self) -> pn.viewable.Viewable:
        return self.layout

    # ------------------------------------------------------------ building

    def _build_metadata(self) -> None:
        self.description = pn.widgets.TextAreaInput(
            label="Description", height=80, sizing_mode="stretch_width"
        )
        self.trigger_word = pn.widgets.TextInput(label="Trigger word", sizing_mode="stretch_width")
        self.prompt_fragment = pn.widgets.TextAreaInput(
            label="Prompt fragment", height=60, sizing_mode="stretch_width"
        )
        self.lora_path = pn.pane.HTML("", sizing_mode="stretch_width")
        self.lora_file = pn.widgets.FileInput(accept=".safetensors,.ckpt,.pt,.bin")
        self.lora_file.param.watch(lambda e: self._import_lora(), "value")
        self.lora_strength = pn.widgets.FloatInput(
            label="LoRA strength", start=0, end=2, step=0.05, width=140
        )
        self.ip_images = pn.Column(sizing_mode="stretch_width")
        self.ip_file = pn.widgets.FileInput(accept="image/*")
        self.ip_file.param.watch(lambda e: self._add_ip_image(), "value")
        self.ip_scale = pn.widgets.FloatInput(
            label="IP-Adapter scale", start=0, end=1, step=0.05, width=140
        )
        self.save_button = pn.widgets.Button(label="Save", color="primary", width=100)
        self.save_button.on_click(lambda e: self.save())
        self.metadata = pn.Column(
            pn.pane.HTML("<h3>Metadata</h3>", margin=(0, 5)),
            self.description,
            self.trigger_word,
            self.prompt_fragment,
            self.lora_path,
            pn.Row(pn.pane.HTML("Import a LoRA file:", margin=(8, 5)), self.lora_file),
            self.lora_strength,
            pn.pane.HTML("<b>IP-Adapter references</b>", margin=(4, 5)),
            self.ip_images,
            pn.Row(pn.pane.HTML("Add a reference:", margin=(8, 5)), self.ip_file),
            self.ip_scale,
            self.save_button,
            sizing_mode="stretch_width",
        )

    def _build_gallery(self) -> None:
        self.pictures = pn.FlexBox(sizing_mode="stretch_width")
        self.angle = pn.widgets.Select(label="Angle", options=_ANGLES, width=140)
        self.reference_file = pn.widgets.FileInput(accept="image/*")
        self.reference_file.param.watch(lambda e: self._add_reference(), "value")
        self.gallery = pn.Column(
            pn.pane.HTML("<h3>References and variations</h3>", margin=(0, 5)),
            self.pictures,
            pn.Row(
                self.angle,
                pn.Column(
                    pn.pane.HTML("Add a reference image:", margin=(0, 5)), self.reference_file
                ),
            ),
            sizing_mode="stretch_width",
        )

    def _build_generation(self) -> None:
        self.lora_status = pn.pane.HTML("", sizing_mode="stretch_width")
        self.lora_bar = pn.indicators.Progress(value=0, max=100, width=220, visible=False)
        self.reset_lora = pn.widgets.Button(label="Reset LoRA status", width=160)
        self.reset_lora.on_click(lambda e: self._set_lora_status(LoraTrainingStatus.UNTRAINED))
        self.variation_kind = pn.widgets.Select(
            label="Variation", options=["expression", "pose", "outfit"], width=130
        )
        self.variation_name = pn.widgets.TextInput(label="Name", placeholder="happy", width=130)
        self.variation_file = pn.widgets.FileInput(accept="image/*")
        self.variation_file.param.watch(lambda e: self._add_variation(), "value")
        self.generate_face = pn.widgets.Button(label="Generate base face", width=170)
        self.generate_face.on_click(lambda e: self.generate("face"))
        self.generate_variation = pn.widgets.Button(label="Generate variation", width=170)
        self.generate_variation.on_click(lambda e: self.generate(self.variation_kind.value))
        self.train = pn.widgets.Button(label="Train LoRA", color="primary", width=120)
        self.train.on_click(lambda e: self.session.train_lora(self.asset_id))
        self.generation = pn.Column(
            pn.pane.HTML("<h3>Generation</h3>", margin=(0, 5)),
            pn.pane.HTML(
                "<p>Pictures render at the project's quality tier; progress shows in the "
                "progress area.</p>",
                margin=(0, 5),
            ),
            self.generate_face,
            pn.Row(self.variation_kind, self.variation_name),
            pn.Row(self.generate_variation),
            pn.Row(
                pn.pane.HTML("Or add a picture made elsewhere:", margin=(8, 5)), self.variation_file
            ),
            pn.pane.HTML("<b>LoRA training</b>", margin=(4, 5)),
            pn.pane.HTML(
                "<p>Training runs the diffusion pipeline's LoRA trainer on the base face and "
                "references; it needs the tier's base model installed. A LoRA trained "
                "elsewhere can be imported in the metadata panel.</p>",
                margin=(0, 5),
            ),
            self.lora_status,
            self.lora_bar,
            pn.Row(self.train, self.reset_lora),
            sizing_mode="stretch_width",
        )

    # ------------------------------------------------------------ following the project

    def _follow_store(self, *_: Any) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        store = self.session.store
        if store is not None:
            self._unsubscribe = store.bus.subscribe(self._on_event)

    def _on_event(self, event: Any) -> None:
        # Bus events arrive on any thread; the view changes on the session's.
        if event.type == "character_lora_status":
            ident, progress, status = event.asset_id, event.progress, event.status
            self.session.call_soon(lambda: self._record_lora(ident, status, progress))

    def _record_lora(self, ident: str, status: LoraTrainingStatus, progress: float | None) -> None:
        value = 1.0 if status is LoraTrainingStatus.COMPLETED else (progress or 0.0)
        self.lora_progress = {**self.lora_progress, ident: value}

    @property
    def character(self) -> Character | None:
        store = self.session.store
        found = self.session.find(self.asset_id)
        if store is None or found is None or not isinstance(found.item, Character):
            return None
        return found.item

    def show(self, asset_id: str) -> None:
        """Show the character `asset_id` as it is now."""
        self.asset_id = asset_id
        character, store = self.character, self.session.store
        if character is None or store is None:
            return
        with pn.io.hold():
            self._draw_header(store, character)
            self.description.value = character.description
            self.trigger_word.value = character.trigger_word
            self.prompt_fragment.value = character.prompt_fragment
            lora = character.lora_model_path
            self.lora_path.object = (
                f"<b>LoRA path:</b> <code>{html.escape(lora)}</code>"
                if lora
                else "<b>LoRA path:</b> <i>none</i>"
            )
            self.lora_strength.value = character.lora_strength
            self.ip_scale.value = character.ip_adapter_scale
            self.ip_images.objects = [self._ip_row(store, p) for p in character.ip_adapter_images]
            self.pictures.objects = [self._picture(store, i) for i in gallery_items(character)]
            self._draw_lora()
            self.usage.draw(store, character.asset_id)

    def _draw_header(self, store: ProjectStore, character: Character) -> None:
        face = image_uri(store.path, character.base_face_image_path, box=160)
        picture = (
            f'<img src="{face}" alt="{html.escape(character.name)} base face" '
            'style="height:120px;border-radius:6px">'
            if face
            else '<div style="width:120px;height:120px;background:#eee;border-radius:6px;'
            'display:flex;align-items:center;justify-content:center">No face yet</div>'
        )
        stage = character.stage
        order = list(CharacterStage)
        lines = []
        for later in order[order.index(stage) + 1 :]:
            needs = store.assets.stage_problems(character.asset_id, later)
            what = "needs " + "; ".join(needs) if needs else "nothing missing"
            lines.append(f"To be {later.value}: {what}.")
        missing = " ".join(lines) or "Ready for production renders."
        self.advance.visible = stage is not CharacterStage.PRODUCTION_READY
        self.header.object = (
            f'<div style="display:flex;gap:16px;align-items:center">{picture}<div>'
            f'<h2 style="margin:0">{html.escape(character.name)}</h2>'
            f'<p aria-label="Stage"><b>Stage:</b> {html.escape(stage.value)}</p>'
            f'<p aria-label="Missing" style="color:#666">{html.escape(missing)}</p></div></div>'
        )

    def _picture(self, store: ProjectStore, item: dict[str, str]) -> pn.viewable.Viewable:
        uri = image_uri(store.path, item["path"], box=200)
        label = html.escape(item["label"])
        image = (
            f'<img src="{uri}" alt="{label}" style="height:120px;border-radius:4px">'
            if uri
            else "<i>missing file</i>"
        )
        remove = pn.widgets.Button(label="Remove", width=80)
        remove.on_click(lambda e, path=item["path"]: self.remove_file(path))
        children: list[Any] = [
            pn.pane.HTML(
                f"<figure style='margin:0'>{image}<figcaption>{label}</figcaption></figure>"
            ),
            remove,
        ]
        if item["role"] != "base":
            base = pn.widgets.Button(label="Set as base face", width=130)
            base.on_click(lambda e, path=item["path"]: self.set_base_face(path))
            children.append(base)
        return pn.Column(*children, width=220, styles={"border": "1px solid #ddd"})

    def _ip_row(self, store: ProjectStore, path: str) -> pn.viewable.Viewable:
        remove = pn.widgets.Button(label="Remove", width=80)
        remove.on_click(lambda e: self.remove_file(path))
        return pn.Row(pn.pane.HTML(f"<code>{html.escape(path)}</code>"), remove)

    def _draw_lora(self, *_: Any) -> None:
        character = self.character
        if character is None:
            return
        status = character.lora_training_status
        progress = self.lora_progress.get(character.asset_id)
        self.lora_status.object = (
            f'<p aria-label="LoRA training status">Status: <b>{html.escape(status.value)}</b></p>'
        )
        training = status is LoraTrainingStatus.TRAINING
        self.lora_bar.visible = training
        self.lora_bar.value = round(100 * (progress or 0)) if training else 0
        self.reset_lora.disabled = status is LoraTrainingStatus.UNTRAINED
        self.train.disabled = training

    # ------------------------------------------------------------ commands

    def _act(self, what: str, action: Any) -> None:
        store = self.session.store
        if store is None or not self.asset_id:
            return
        with self.session.reporting(what):
            action(store)
            self.session.notify("success", f"{what}: done", duration=2000)
            self.session.sync()

    def save(self) -> None:
        """Save the metadata fields that changed."""
        character = self.character
        if character is None:
            return
        wanted = {
            "description": self.description.value or "",
            "trigger_word": self.trigger_word.value or "",
            "prompt_fragment": self.prompt_fragment.value or "",
            "lora_strength": self.lora_strength.value,
            "ip_adapter_scale": self.ip_scale.value,
        }
        changes = {k: v for k, v in wanted.items() if v is not None and getattr(character, k) != v}
        if not changes:
            self.session.notify("info", "Nothing changed", duration=2000)
            return
        self._act("Saving the character", lambda s: s.assets.update(self.asset_id, **changes))

    def advance_stage(self) -> None:
        """Move the character to its next lifecycle stage, if it meets the rules."""
        character = self.character
        if character is None:
            return
        order = list(CharacterStage)
        following = order[min(order.index(character.stage) + 1, len(order) - 1)]
        self._act(
            f"Moving to {following.value}", lambda s: s.assets.set_stage(self.asset_id, following)
        )

    def remove_file(self, path: str) -> None:
        """Move one of the character's files to the trash."""
        self._act("Removing the file", lambda s: s.assets.remove_file(self.asset_id, path))

    def set_base_face(self, path: str) -> None:
        """Make one of the character's pictures its base face."""
        self._act(
            "Setting the base face",
            lambda s: s.assets.set_base_face(self.asset_id, Path(s.path) / path),
        )

    def _upload(self, widget: pn.widgets.FileInput) -> tuple[str, bytes] | None:
        if not widget.value or not widget.filename:
            return None
        spec = (str(widget.filename), bytes(widget.value))
        widget.param.update(value=None, filename=None)
        return spec

    def _import_lora(self) -> None:
        spec = self._upload(self.lora_file)
        if spec:
            self._act("Importing the LoRA", lambda s: s.assets.import_lora(self.asset_id, spec))

    def _add_ip_image(self) -> None:
        spec = self._upload(self.ip_file)
        if spec:
            self._act(
                "Adding the IP-Adapter image",
                lambda s: s.assets.add_ip_adapter_image(self.asset_id, spec),
            )

    def _add_reference(self) -> None:
        spec = self._upload(self.reference_file)
        if spec:
            angle = self.angle.value
            self._act(
                "Adding the reference",
                lambda s: s.assets.add_reference(self.asset_id, spec, angle=angle),
            )

    def _add_variation(self) -> None:
        spec = self._upload(self.variation_file)
        if spec:
            kind = self.variation_kind.value
            name = (self.variation_name.value or "").strip() or Path(spec[0]).stem
            self._act(
                "Adding the variation",
                lambda s: s.assets.add_variation(self.asset_id, kind, name, spec),
            )

    def generate(self, kind: str) -> None:
        """Render the base face (`kind` ``face``) or a variation named in the panel."""
        name = "" if kind == "face" else (self.variation_name.value or "").strip()
        if kind != "face" and not name:
            self.session.notify("warning", f"Name the {kind} first, such as 'happy'")
            return
        self.session.generate_character(self.asset_id, kind, name)

    def _set_lora_status(self, status: LoraTrainingStatus) -> None:
        self._act(
            "Changing the LoRA status", lambda s: s.assets.set_lora_status(self.asset_id, status)
        )
