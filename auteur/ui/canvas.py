"""The production canvas: the scene's node graph, where assets are wired into shot renders.

It shows the graph of the session's scene with panel-reactflow. Every edit the user makes on
the graph goes through ``store.canvas``; the graph is then drawn again from the project, so
undo, redo, other pages and notebooks all show the same graph. Shot render nodes show their
composite prompt, generate with their own parameters and follow their render live.
"""

from __future__ import annotations

import html
import threading
from typing import Any

import panel as pn
import param
from panel_reactflow import NodeType as FlowNodeType
from panel_reactflow import ReactFlow

from ..model import Quality, shot_code
from ..model.canvas import GraphError, NodeRegistry, NodeType, check_connection, default_registry
from ..render.prompt import assemble_prompt
from ..storage import ProjectStore
from .asset_browser import asset_thumbnail
from .session import StudioSession, describe_error
from .thumbs import image_uri

__all__ = ["CanvasView", "flow_node_types"]

#: Events that change what a render node shows while it renders.
_LIVE_EVENTS = ("node_state_updated", "task_progress", "task_failed", "take_created")

_ADDABLE = {
    "character": "characters",
    "location": "locations",
    "style": "styles",
}


def flow_node_types(registry: NodeRegistry) -> dict[str, FlowNodeType]:
    """The registry's node types as panel-reactflow types: ports become typed handles."""
    return {
        t.name: FlowNodeType(
            type=t.name,
            label=t.label,
            inputs=[
                {"id": p.id, "label": p.label, "type": " | ".join(sorted(p.accepts))}
                for p in t.inputs
            ],
            outputs=[{"id": p.id, "label": p.label, "type": p.type} for p in t.outputs],
        )
        for t in registry
    }


def _no_editor(*args: Any, **kwargs: Any) -> None:
    """Edges have nothing to edit."""
    return None


class _NodeBody:
    """What a node shows inside its frame; kept per node id so widgets live across redraws."""

    def __init__(self, view: CanvasView, node: dict[str, Any], node_type: NodeType) -> None:
        self.view = view
        self.node_id = node["id"]
        self.kind = node_type
        self.title = pn.pane.HTML("", margin=(0, 4))
        self.picture = pn.pane.HTML("", margin=(0, 4))
        self.items: list[Any] = [self.title, self.picture]
        self.state = "idle"
        if node_type.name == "prompt":
            self.text = pn.widgets.TextAreaInput(
                placeholder="Words for the prompt", rows=3, width=220, margin=(0, 4)
            )
            self.text.param.watch(self._on_text, "value")
            self.items.append(self.text)
        if node_type.name == "shot":
            self._build_render_controls()
        self.layout = pn.Column(*self.items, width=250, margin=4)

    def _build_render_controls(self) -> None:
        self.quality = pn.widgets.Select(
            options={"Shot's quality": ""} | {q.value: q.value for q in Quality},
            width=110,
            margin=(0, 4),
        )
        self.seed = pn.widgets.TextInput(placeholder="Random seed", width=110, margin=(0, 4))
        self.pipeline = pn.widgets.Select(options={"Dispatcher's": ""}, width=226, margin=(0, 4))
        for widget in (self.quality, self.seed, self.pipeline):
            widget.param.watch(self._on_parameters, "value")
        self.generate = pn.widgets.Button(label="Generate", color="primary", margin=(4, 4))
        self.generate.on_click(lambda e: self.view.generate(self.node_id))
        self.status = pn.pane.HTML("", margin=(0, 4))
        self.progress = pn.indicators.Progress(value=0, max=100, width=226, visible=False)
        self.prompt = pn.pane.HTML("", margin=(0, 4), width=230)
        self.items += [
            pn.Row(self.quality, self.seed, margin=0),
            self.pipeline,
            self.generate,
            self.status,
            self.progress,
            self.prompt,
        ]

    # ------------------------------------------------------------ drawing

    def draw(self, store: ProjectStore, node: dict[str, Any]) -> None:
        data = node.get("data", {})
        target = store.canvas.referent(node)
        name = self._name(store, node, target)
        self.label = name
        missing = self.kind.refers_to is not None and target is None
        note = " <i>(deleted from the project)</i>" if missing else ""
        self.title.object = f"<b>{html.escape(name)}</b>{note}"
        if self.kind.refers_to in _ADDABLE and target is not None:
            self.picture.object = self._img(asset_thumbnail(store, target, box=96), name)
        if self.kind.name == "prompt" and self.text.value != (data.get("text") or ""):
            self.text.value = data.get("text") or ""
        if self.kind.name == "shot":
            self._draw_render(store, node, target)
        if self.kind.name == "take-viewer":
            self._draw_viewer(store, node)

    def _name(self, store: ProjectStore, node: dict[str, Any], target: Any) -> str:
        if target is None:
            return self.kind.label
        if self.kind.refers_to == "shot":
            found = store.locate(target.id, "shot")
            return shot_code(found.scene, target)
        return str(getattr(target, "name", "") or self.kind.label)

    @staticmethod
    def _img(uri: str, alt: str) -> str:
        if not uri:
            return ""
        return f'<img src="{uri}" alt="{html.escape(alt)}" style="max-width:220px;display:block">'

    def _draw_render(self, store: ProjectStore, node: dict[str, Any], shot: Any) -> None:
        data = node.get("data", {})
        code = self.label
        self.generate.label = f"Generate {code}"
        self.generate.disabled = shot is None
        options = {"Dispatcher's": ""} | {p: p for p in self.view.pipeline_ids()}
        if self.pipeline.options != options:
            self.pipeline.options = options
        wanted = (data.get("quality") or "", "" if data.get("seed") is None else str(data["seed"]))
        if (self.quality.value, self.seed.value) != wanted:
            self.quality.value, self.seed.value = wanted
        if self.pipeline.value != (data.get("pipeline") or ""):
            self.pipeline.value = data.get("pipeline") or ""
        if shot is None:
            self.prompt.object = ""
            return
        try:
            found = store.locate(shot.id, "shot")
            text = assemble_prompt(store.project, found.scene, shot).text
            self.prompt.object = (
                f'<div aria-label="Prompt of {html.escape(code)}" style="font-size:11px;'
                f'color:#444">{html.escape(text)}</div>'
            )
        except ValueError as exc:
            self.prompt.object = f"<i>{html.escape(str(exc))}</i>"
        take = next((t for t in shot.takes if t.id == shot.active_take), None)
        if take is not None:
            alt = f"{code} take{take.number:02d}"
            self.picture.object = self._img(image_uri(store.path, take.path, box=220), alt)
        self.show_state(self.state, None)

    def _draw_viewer(self, store: ProjectStore, node: dict[str, Any]) -> None:
        canvas = store.project.canvas
        feeding = [e["source"] for e in canvas.edges if e["target"] == node["id"]]
        shot = None
        for source in feeding:
            found = next((n for n in canvas.nodes if n["id"] == source), None)
            shot = store.canvas.referent(found) if found is not None else None
        take = next((t for t in shot.takes if t.id == shot.active_take), None) if shot else None
        if take is None:
            self.picture.object = "<i>Wire a shot's takes here.</i>"
            return
        alt = f"Take {take.number:02d}"
        self.picture.object = self._img(image_uri(store.path, take.path, box=220), alt)

    def show_state(self, state: str, progress: float | None, error: str = "") -> None:
        """Show a render node's state: idle, generating (with progress), completed or error."""
        if self.kind.name != "shot":
            return
        self.state = state
        words = {"generating": "Generating", "completed": "Completed", "error": "Error"}
        text = words.get(state, "Idle")
        if state == "generating" and progress is not None:
            text += f" {round(progress * 100)}%"
        if error:
            text += f": {error}"
        colour = {"completed": "#2e7d32", "error": "#c62828", "generating": "#1565c0"}
        self.status.object = (
            f'<span role="status" aria-label="State of {html.escape(self.label)}" '
            f'data-state="{state}" style="color:{colour.get(state, "#555")}">'
            f"{html.escape(text)}</span>"
        )
        self.progress.visible = state == "generating"
        if progress is not None:
            self.progress.value = round(progress * 100)
        self.generate.disabled = state == "generating"

    # ------------------------------------------------------------ edits

    def _on_text(self, event: param.parameterized.Event) -> None:
        self.view.update_node(self.node_id, text=event.new)

    def _on_parameters(self, event: param.parameterized.Event) -> None:
        seed = self.seed.value.strip()
        if seed and not seed.isdigit():
            self.view.session.notify("error", "The seed must be a whole number")
            return
        self.view.update_node(
            self.node_id,
            quality=self.quality.value or None,
            seed=int(seed) if seed else None,
            pipeline=self.pipeline.value or None,
        )


class CanvasView(pn.viewable.Viewer):
    """The node graph of the session's scene."""

    session = param.ClassSelector(class_=StudioSession, doc="The studio session.")
    registry = param.Parameter(default=None, doc="The node types (default: every registered).")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.registry = self.registry or default_registry()
        self.flow = ReactFlow(
            node_types=flow_node_types(self.registry),
            node_editors={t.name: self._editor for t in self.registry},
            default_edge_editor=_no_editor,
            editor_mode="node",
            display_side_bar=False,
            sizing_mode="stretch_width",
            height=640,
            min_zoom=0.3,
            max_zoom=1.0,
        )
        self.flow.on("edge_added", self._on_edge_added)
        self.flow.on("edge_deleted", self._on_edge_deleted)
        self.flow.on("node_deleted", self._on_node_deleted)
        self.flow.on("node_moved", self._on_node_moved)
        self.flow.add_connection_validator(self._validate)
        self.heading = pn.pane.HTML("", margin=(4, 10))
        kinds = {t.label: t.name for t in self.registry}
        self.kind = pn.widgets.Select(label="Node type", options=kinds, width=160)
        self.item = pn.widgets.Select(label="Stands for", options={}, width=220)
        self.add = pn.widgets.Button(label="Add node", color="primary", margin=(22, 10))
        self.add.on_click(lambda e: self.add_node())
        self.kind.param.watch(lambda e: self._fill_items(), "value")
        self._bodies: dict[str, _NodeBody] = {}
        self._pending: list[Any] = []
        self._lock = threading.Lock()
        self._unsubscribe: Any = None
        self._scene = ""
        self._pipelines: list[str] | None = None
        self.layout = pn.Column(
            self.heading,
            pn.Row(self.kind, self.item, self.add, sizing_mode="stretch_width"),
            self.flow,
            sizing_mode="stretch_width",
        )
        self.session.param.watch(self._on_store, "store")
        self.session.param.watch(self._draw, ["scene", "revision"])
        self._on_store()

    def __panel__(self) -> pn.viewable.Viewable:
        return self.layout

    # ------------------------------------------------------------ drawing

    def _on_store(self, *_: Any) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._bodies.clear()
        self._pipelines = None
        self._scene = ""
        store = self.session.store
        if store is not None:
            self._unsubscribe = store.bus.subscribe(self._on_live_event, _LIVE_EVENTS)
        self._draw()

    def pipeline_ids(self) -> list[str]:
        """The pipelines a render node can be told to use instead of the dispatcher's."""
        if self._pipelines is None:
            store = self.session.store
            try:
                from ..render.dispatcher import Dispatcher

                mappings = Dispatcher.from_settings(store.settings).mappings()
                self._pipelines = sorted({c.pipeline_id for c in mappings.values()})
            except Exception:  # a broken template shows as an error when rendering
                self._pipelines = []
        return self._pipelines

    def _scene_found(self) -> Any:
        found = self.session.find(self.session.scene) if self.session.scene else None
        return found if found is not None and found.kind == "scene" else None

    def _draw(self, *_: Any) -> None:
        store, found = self.session.store, self._scene_found()
        if store is None or found is None:
            self.heading.object = "<i>Select a scene in the project browser to see its canvas.</i>"
            self.flow.param.update(nodes=[], edges=[])
            self.add.disabled = True
            return
        scene = found.item
        if scene.id != self._scene:
            self._save_viewport()
            self._scene = scene.id
            self.flow.viewport = store.canvas.viewport(scene.id)
        self.add.disabled = False
        self.heading.object = (
            f"<b>Canvas of scene {found.chapter.number}.{scene.number}: "
            f"{html.escape(scene.title)}</b>"
        )
        nodes = []
        for node in store.canvas.nodes(scene.id):
            if node["type"] not in self.registry:
                continue
            body = self._body(node)
            body.draw(store, node)
            nodes.append(
                {
                    "id": node["id"],
                    "type": node["type"],
                    "position": dict(node.get("position") or {"x": 0, "y": 0}),
                    "label": self.registry.get(node["type"]).label,
                    "data": {"ref": node.get("data", {}).get("ref") or "", "label": body.label},
                }
            )
        edges = [
            {
                "id": e["id"],
                "source": e["source"],
                "target": e["target"],
                "sourceHandle": e.get("sourceHandle"),
                "targetHandle": e.get("targetHandle"),
            }
            for e in store.canvas.edges(scene.id)
        ]
        with pn.io.hold():
            self.flow.param.update(nodes=nodes, edges=edges)
            self._fill_items()

    def _save_viewport(self) -> None:
        """Remember where the graph being left was looked at (once, not at every pan: each
        save is an entry of the undo history)."""
        store, seen = self.session.store, self.flow.viewport
        if store is None or not self._scene or not seen or "zoom" not in seen:
            return
        if store.canvas.viewport(self._scene) == {k: float(seen[k]) for k in ("x", "y", "zoom")}:
            return
        with self.session.reporting("Saving the canvas view"):
            store.canvas.set_viewport(self._scene, seen["x"], seen["y"], seen["zoom"])

    def _body(self, node: dict[str, Any]) -> _NodeBody:
        body = self._bodies.get(node["id"])
        if body is None:
            body = _NodeBody(self, node, self.registry.get(node["type"]))
            task = self.session.tasks.for_node(node["id"])
            if task is not None:
                body.state = "generating"
            self._bodies[node["id"]] = body
        return body

    def _editor(self, data: Any, schema: Any, *, id: str, type: str, on_patch: Any) -> Any:
        body = self._bodies.get(id)
        return body.layout if body is not None else None

    def _fill_items(self) -> None:
        store, found = self.session.store, self._scene_found()
        kind = self.registry.get(self.kind.value) if self.kind.value in self.registry else None
        options: dict[str, str] = {}
        if store is not None and found is not None and kind is not None:
            if kind.refers_to in _ADDABLE:
                group = getattr(store.project.assets, _ADDABLE[kind.refers_to])
                options = {a.name: a.asset_id for a in group}
            elif kind.refers_to == "shot":
                options = {shot_code(found.item, s): s.id for s in found.item.shots}
        self.item.options = options
        self.item.disabled = kind is None or kind.refers_to is None

    # ------------------------------------------------------------ edits

    def add_node(self, node_type: str | None = None, ref: str | None = None) -> None:
        """Add a node of the chosen type (standing for the chosen item) to the scene's graph."""
        store, found = self.session.store, self._scene_found()
        if store is None or found is None:
            return
        kind = self.registry.get(node_type or self.kind.value)
        if kind.refers_to is not None:
            ref = ref or self.item.value
        count = len(store.canvas.nodes(found.item.id))
        # Asset nodes on the left, renders in the middle, viewers on the right.
        column = {"shot": 1, "take-viewer": 2}.get(kind.name, 0)
        with self.session.reporting(f"Adding a {kind.label} node"):
            store.canvas.add_node(
                found.item.id, kind.name, ref, x=40 + column * 320, y=40 + (count % 6) * 160
            )
            self.session.sync()

    def update_node(self, node_id: str, **parameters: Any) -> None:
        """Change a node's parameters when they differ from what the project holds."""
        store = self.session.store
        if store is None:
            return
        with self.session.reporting("Changing the node"):
            data = store.canvas.node(node_id).get("data", {})
            if all(data.get(k) == v for k, v in parameters.items()):
                return
            store.canvas.update_node(node_id, **parameters)
            self.session.sync()

    def _validate(self, payload: dict[str, Any]) -> str | None:
        store = self.session.store
        if store is None:
            return "No project is open"
        try:
            check_connection(
                self.registry,
                store.project.canvas,
                payload["source"],
                payload.get("sourceHandle") or "",
                payload["target"],
                payload.get("targetHandle") or "",
                store.canvas.names([payload["source"], payload["target"]]),
            )
        except (GraphError, KeyError) as exc:
            return str(exc)
        return None

    def _on_edge_added(self, payload: dict[str, Any]) -> None:
        edge = payload.get("edge") or {}
        store = self.session.store
        if store is None or any(e["id"] == edge.get("id") for e in store.project.canvas.edges):
            return
        try:
            store.canvas.connect(
                edge["source"],
                edge.get("sourceHandle") or "",
                edge["target"],
                edge.get("targetHandle") or "",
            )
        except Exception as exc:
            self.session.report("Connecting", exc)
        # Draw the stored graph: the new edge under its stored id, or no edge when refused.
        self.session.sync()
        self._draw()

    def _on_edge_deleted(self, payload: dict[str, Any]) -> None:
        store = self.session.store
        ident = payload.get("edge_id")
        if store is None or not any(e["id"] == ident for e in store.project.canvas.edges):
            return
        with self.session.reporting("Disconnecting"):
            store.canvas.disconnect(ident)
            self.session.sync()

    def _on_node_deleted(self, payload: dict[str, Any]) -> None:
        store = self.session.store
        ident = payload.get("node_id")
        if store is None or not any(n["id"] == ident for n in store.project.canvas.nodes):
            return
        with self.session.reporting("Removing the node"):
            store.canvas.remove_node(ident)
            self._bodies.pop(ident, None)
            self.session.sync()

    def _on_node_moved(self, payload: dict[str, Any]) -> None:
        store, position = self.session.store, payload.get("position") or {}
        if store is None or "x" not in position:
            return
        with self.session.reporting("Moving the node"):
            store.canvas.move_node(payload["node_id"], position["x"], position["y"])

    # ------------------------------------------------------------ generating

    def generate(self, node_id: str) -> None:
        """Render a new take of a render node's shot with the node's parameters."""
        store, session = self.session.store, self.session
        if store is None:
            return
        body = self._bodies.get(node_id)
        label = body.label if body is not None else node_id
        if session.engine is None:
            session.notify("error", f"Generating {label} failed: no render engine is set up")
            return
        node = store.canvas.node(node_id)
        data = node.get("data", {})
        placeholder = f"submitting:{node_id}"
        session.tasks.start(placeholder, node_id, label, step="starting the render engine")
        if body is not None:
            body.show_state("generating", 0.0)

        def submit() -> None:
            try:
                service = session.render_service(store)
                pipeline = None
                if data.get("pipeline"):
                    configs = service.dispatcher.mappings().values()
                    pipeline = next(c for c in configs if c.pipeline_id == data["pipeline"])
                handle = service.submit(
                    data["ref"],
                    quality=data.get("quality") or None,
                    seed=data.get("seed"),
                    node_id=node_id,
                    pipeline=pipeline,
                )
            except Exception as exc:
                error = exc
                session.call_soon(lambda: self._submit_failed(placeholder, node_id, label, error))
                return
            session.call_soon(lambda: self._submitted(placeholder, handle.job_id, node_id, label))

        threading.Thread(target=submit, name="auteur-canvas-submit", daemon=True).start()

    def _submitted(self, placeholder: str, job_id: str, node_id: str, label: str) -> None:
        tasks = self.session.tasks
        tasks.rename(placeholder, job_id)
        # Its first events may have come first, named after the node id: name it after the shot.
        tasks.start(job_id, node_id, label)

    def _submit_failed(self, placeholder: str, node_id: str, label: str, exc: Exception) -> None:
        self.session.tasks.fail(placeholder, describe_error(exc))
        body = self._bodies.get(node_id)
        if body is not None:
            body.show_state("error", None, describe_error(exc))
        self.session.report(f"Generating {label}", exc)

    def _on_live_event(self, event: Any) -> None:
        if getattr(event, "node_id", None) not in self._bodies:
            return
        with self._lock:
            self._pending.append(event)
            first = len(self._pending) == 1
        if first:
            self.session.call_soon(self._drain)

    def _drain(self) -> None:
        with self._lock:
            events, self._pending = self._pending, []
        with pn.io.hold():
            for event in events:
                body = self._bodies.get(event.node_id)
                if body is None:
                    continue
                if event.type == "node_state_updated":
                    body.show_state(event.state, event.progress)
                elif event.type == "task_progress" and body.state == "generating":
                    body.show_state("generating", event.progress)
                elif event.type == "task_failed":
                    body.show_state("error", None, event.error)
                elif event.type == "take_created":
                    self.session.sync()
                    self._draw()
