"""Canvas commands: add, move, change and remove nodes, connect and disconnect them.

Every command is a store transaction, so it joins the undo and redo history. Wiring an asset
node into a shot render node casts the asset into the shot (its usage list follows); taking
the last such edge away, by disconnecting it or removing either node, uncasts it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model import ProjectUpdateEvent, new_id, shot_code
from ..model.canvas import (
    SHOT,
    GraphError,
    NodeRegistry,
    ShotInputs,
    check_connection,
    default_registry,
    edges_of,
    node_by_id,
    nodes_of,
    shot_inputs,
    viewport_of,
)
from .store import StoreError

if TYPE_CHECKING:
    from .store import ProjectStore

__all__ = ["CanvasStore"]

_ASSET_GROUPS = {"character": "characters", "location": "locations", "style": "styles"}


class CanvasStore:
    """The production canvas of one project: a node graph per scene."""

    def __init__(self, store: ProjectStore, registry: NodeRegistry | None = None) -> None:
        self._store = store
        self.registry = registry or default_registry()

    # ------------------------------------------------------------ reading

    def nodes(self, scene: str) -> list[dict[str, Any]]:
        """The nodes of the scene's graph (`scene`: an address or id)."""
        return nodes_of(self._store.project.canvas, self._scene_id(scene))

    def edges(self, scene: str) -> list[dict[str, Any]]:
        """The edges of the scene's graph."""
        return edges_of(self._store.project.canvas, self._scene_id(scene))

    def viewport(self, scene: str) -> dict[str, float]:
        """Where the scene's graph was last looked at."""
        return viewport_of(self._store.project.canvas, self._scene_id(scene))

    def node(self, node_id: str) -> dict[str, Any]:
        """The node `node_id`."""
        return self._checked(lambda: node_by_id(self._store.project.canvas, node_id))

    def inputs(self, node_id: str) -> ShotInputs:
        """What the graph wires into the render node `node_id`."""
        return shot_inputs(self.registry, self._store.project.canvas, [node_id])

    def names(self, node_ids: list[str]) -> dict[str, str]:
        """What each node stands for, by name (a shot by its code), for messages."""
        found: dict[str, str] = {}
        for node in self._store.project.canvas.nodes:
            if node["id"] in node_ids:
                item = self.referent(node)
                if item is not None and node["type"] == SHOT.name:
                    where = self._store.locate(item.id, "shot")
                    found[node["id"]] = shot_code(where.scene, item)
                elif item is not None:
                    found[node["id"]] = str(getattr(item, "name", ""))
        return found

    def referent(self, node: dict[str, Any]) -> Any:
        """The asset or shot a node stands for; None when it has none or it is gone."""
        ref = node.get("data", {}).get("ref")
        kind = self.registry.get(node["type"]).refers_to if node["type"] in self.registry else None
        if not ref or kind is None:
            return None
        if kind == "shot":
            return next((s for _, _, s in self._store.iter_shots() if s.id == ref), None)
        group = getattr(self._store.project.assets, _ASSET_GROUPS.get(kind, ""), [])
        return next((a for a in group if a.asset_id == ref), None)

    # ------------------------------------------------------------ nodes

    def add_node(
        self,
        scene: str,
        node_type: str,
        ref: str | None = None,
        *,
        x: float = 0.0,
        y: float = 0.0,
        **parameters: Any,
    ) -> dict[str, Any]:
        """Add a node of `node_type` to the scene's graph and return it.

        `ref` names the asset or shot the node stands for, when its type refers to one.
        """
        kind = self._checked(lambda: self.registry.get(node_type))
        unknown = set(parameters) - set(kind.parameters)
        if unknown:
            raise StoreError(f"a {kind.label} node has no parameter {', '.join(sorted(unknown))}")
        store = self._store
        with store.transaction() as project:
            scene_id = self._scene_id(scene)
            data: dict[str, Any] = {**kind.parameters, **parameters}
            if kind.refers_to is not None:
                if not ref:
                    raise StoreError(f"a {kind.label} node needs the {kind.refers_to} it shows")
                node = {"type": node_type, "data": {"ref": ref}}
                target = self.referent(node)
                if target is None:
                    raise StoreError(f"no {kind.refers_to} with the id {ref!r}")
                if kind.refers_to == "shot" and ref not in {s.id for s in self._scene(scene_id)}:
                    raise StoreError("a shot render node shows a shot of its own scene")
                data = {"ref": ref, **data}
            node = {
                "id": new_id("node"),
                "type": node_type,
                "sceneId": scene_id,
                "position": {"x": float(x), "y": float(y)},
                "data": data,
            }
            project.canvas.nodes.append(node)
            self._changed("added", "canvas-node", node["id"], scene_id)
        return node

    def move_node(self, node_id: str, x: float, y: float) -> dict[str, Any]:
        """Place a node at (`x`, `y`)."""
        with self._store.transaction() as project:
            node = self._checked(lambda: node_by_id(project.canvas, node_id))
            position = {"x": float(x), "y": float(y)}
            if node.get("position") == position:
                return node
            node["position"] = position
            self._changed("moved", "canvas-node", node_id, node["sceneId"])
        return node

    def update_node(self, node_id: str, **parameters: Any) -> dict[str, Any]:
        """Change a node's parameters (a prompt's text, a render's quality, seed, pipeline)."""
        with self._store.transaction() as project:
            node = self._checked(lambda: node_by_id(project.canvas, node_id))
            kind = self._checked(lambda: self.registry.get(node["type"]))
            unknown = set(parameters) - set(kind.parameters)
            if unknown:
                raise StoreError(
                    f"a {kind.label} node has no parameter {', '.join(sorted(unknown))}"
                )
            if "seed" in parameters and parameters["seed"] is not None:
                parameters["seed"] = int(parameters["seed"])
            node["data"] = {**node.get("data", {}), **parameters}
            self._changed("updated", "canvas-node", node_id, node["sceneId"])
        return node

    def remove_node(self, node_id: str) -> None:
        """Remove a node and its edges; assets it wired into shots are uncast."""
        with self._store.transaction() as project:
            node = self._checked(lambda: node_by_id(project.canvas, node_id))
            gone = [e for e in project.canvas.edges if node_id in (e["source"], e["target"])]
            project.canvas.edges = [e for e in project.canvas.edges if e not in gone]
            project.canvas.nodes = [n for n in project.canvas.nodes if n["id"] != node_id]
            self._unwire(gone, removed={node_id: node})
            self._changed("removed", "canvas-node", node_id, node["sceneId"])

    # ------------------------------------------------------------ edges

    def connect(
        self, source: str, source_port: str, target: str, target_port: str
    ) -> dict[str, Any]:
        """Wire an output port to an input port; refused when their types do not match."""
        with self._store.transaction() as project:
            canvas = project.canvas
            self._checked(
                lambda: check_connection(
                    self.registry,
                    canvas,
                    source,
                    source_port,
                    target,
                    target_port,
                    self.names([source, target]),
                )
            )
            src = node_by_id(canvas, source)
            edge = {
                "id": new_id("edge"),
                "sceneId": src["sceneId"],
                "source": source,
                "sourceHandle": source_port,
                "target": target,
                "targetHandle": target_port,
            }
            canvas.edges.append(edge)
            self._wire(src, node_by_id(canvas, target))
            self._changed("connected", "canvas-edge", edge["id"], src["sceneId"])
        return edge

    def disconnect(self, edge_id: str) -> None:
        """Remove an edge; an asset no longer wired into its shot is uncast."""
        with self._store.transaction() as project:
            edge = next((e for e in project.canvas.edges if e["id"] == edge_id), None)
            if edge is None:
                raise StoreError(f"the canvas has no edge {edge_id!r}")
            project.canvas.edges = [e for e in project.canvas.edges if e["id"] != edge_id]
            self._unwire([edge])
            self._changed("disconnected", "canvas-edge", edge_id, edge["sceneId"])

    # ------------------------------------------------------------ viewport

    def set_viewport(self, scene: str, x: float, y: float, zoom: float) -> None:
        """Remember where the scene's graph is looked at.

        It is written to ``project.json`` with the rest of the canvas, so it joins the undo
        history like any change of that file (leaving it out would make the next undo of a
        canvas edit find the file changed and refuse).
        """
        store = self._store
        with store.transaction() as project:
            scene_id = self._scene_id(scene)
            scenes = project.canvas.viewport.setdefault("scenes", {})
            wanted = {"x": float(x), "y": float(y), "zoom": float(zoom)}
            if scenes.get(scene_id) != wanted:
                scenes[scene_id] = wanted
                store.touch_manifest()

    # ------------------------------------------------------------ usage

    def _wire(self, source: dict[str, Any], target: dict[str, Any]) -> None:
        """Cast the source's asset into the target's shot, when the edge joins the two."""
        kind = self.registry.get(source["type"]).refers_to
        if target["type"] != SHOT.name or kind not in _ASSET_GROUPS:
            return
        shot = self.referent(target)
        asset = source.get("data", {}).get("ref")
        if shot is None or self.referent(source) is None:
            return  # a side was deleted from the project: nothing left to cast
        if kind == "character" and asset not in shot.characters:
            self._store.update(shot.id, characters=[*shot.characters, asset])
        elif kind in ("location", "style") and getattr(shot, kind) != asset:
            self._store.update(shot.id, **{kind: asset})

    def _unwire(
        self, edges: list[dict[str, Any]], removed: dict[str, dict[str, Any]] | None = None
    ) -> None:
        """Uncast what `edges` wired into shots and the remaining graph no longer does."""
        canvas = self._store.project.canvas
        known = {n["id"]: n for n in canvas.nodes} | (removed or {})
        shots: dict[str, set[str]] = {}
        for edge in edges:
            src, dst = known.get(edge["source"]), known.get(edge["target"])
            if src is None or dst is None or dst["type"] != SHOT.name:
                continue
            if src["type"] not in self.registry:
                continue
            if self.registry.get(src["type"]).refers_to in _ASSET_GROUPS:
                asset = src.get("data", {}).get("ref")
                shots.setdefault(dst.get("data", {}).get("ref"), set()).add(asset)
        for shot_id, assets in shots.items():
            shot = self.referent({"type": SHOT.name, "data": {"ref": shot_id}})
            if shot is None:
                continue
            render = [n["id"] for n in canvas.nodes if n["type"] == SHOT.name]
            still = shot_inputs(
                self.registry,
                canvas,
                [r for r in render if known[r].get("data", {}).get("ref") == shot_id],
            ).assets()
            dropped = assets - still
            changes: dict[str, Any] = {}
            if dropped.intersection(shot.characters):
                changes["characters"] = [c for c in shot.characters if c not in dropped]
            for field in ("location", "style"):
                if getattr(shot, field) in dropped:
                    changes[field] = None
            if changes:
                self._store.update(shot.id, **changes)

    # ------------------------------------------------------------ helpers

    def _scene_id(self, scene: str) -> str:
        found = self._store.locate(scene, "scene")
        assert found.scene is not None
        return found.scene.id

    def _scene(self, scene_id: str) -> list[Any]:
        found = self._store.locate(scene_id, "scene")
        assert found.scene is not None
        return list(found.scene.shots)

    def _changed(self, action: str, kind: str, ident: str, scene_id: str) -> None:
        self._store.touch_manifest()
        self._store.emit(
            ProjectUpdateEvent(
                changes={
                    "action": action,
                    "kind": kind,
                    "id": ident,
                    "sceneId": scene_id,
                    "address": "",
                }
            )
        )

    @staticmethod
    def _checked(call: Any) -> Any:
        try:
            return call()
        except GraphError as exc:
            raise StoreError(str(exc)) from None
