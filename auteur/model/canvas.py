"""The production canvas as a graph: node types with typed ports, and the rules of wiring them.

The canvas is stored in ``project.json`` under ``canvas`` as plain data, in React Flow's shape:

- ``nodes``: ``{"id", "type", "sceneId", "position": {"x", "y"}, "data": {...}}``. ``data.ref``
  names what the node stands for (a character, location or style asset id, or a shot id);
  the other keys of ``data`` are the node's parameters (``text``, ``quality``, ``seed``,
  ``pipeline``).
- ``edges``: ``{"id", "sceneId", "source", "sourceHandle", "target", "targetHandle"}``; the
  handles are port ids.
- ``viewport``: ``{"scenes": {<scene id>: {"x", "y", "zoom"}}}``.

Each scene has a graph of its own: the nodes and edges whose ``sceneId`` is that scene. Node
types come from a registry: the built-in types, and any that other packages declare under the
``auteur.canvas_nodes`` entry point group (a `NodeType`, or a list of them).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from .project import Canvas

__all__ = [
    "ENTRY_POINT_GROUP",
    "GraphError",
    "NodeRegistry",
    "NodeType",
    "Port",
    "ShotInputs",
    "check_connection",
    "default_registry",
    "edges_of",
    "node_by_id",
    "nodes_of",
    "prompt_notes",
    "reaches",
    "render_nodes",
    "shot_inputs",
    "viewport_of",
]

log = logging.getLogger(__name__)

#: Entry point group through which other packages add node types.
ENTRY_POINT_GROUP = "auteur.canvas_nodes"


class GraphError(ValueError):
    """A canvas edit breaks the graph's rules; the message says which."""


@dataclass(frozen=True)
class Port:
    """One input or output of a node type.

    An output has a `type`; an input lists the output types it `accepts`, and takes one
    connection only unless `multiple`.
    """

    id: str
    label: str
    type: str = ""
    accepts: frozenset[str] = frozenset()
    multiple: bool = True


@dataclass(frozen=True)
class NodeType:
    """A kind of canvas node: its ports, what it stands for and its parameters' defaults.

    `refers_to` is ``character``, ``location``, ``style`` or ``shot`` when each node of the type
    stands for one item of the project (named by the node's ``data.ref``).
    """

    name: str
    label: str
    inputs: tuple[Port, ...] = ()
    outputs: tuple[Port, ...] = ()
    refers_to: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""

    def input(self, port_id: str) -> Port | None:
        """The input port `port_id`, or None."""
        return next((p for p in self.inputs if p.id == port_id), None)

    def output(self, port_id: str) -> Port | None:
        """The output port `port_id`, or None."""
        return next((p for p in self.outputs if p.id == port_id), None)


_IDENTITY = frozenset({"lora", "image-set", "face", "trigger-word"})

CHARACTER = NodeType(
    name="character",
    label="Character",
    refers_to="character",
    outputs=(
        Port("lora", "LoRA reference", "lora"),
        Port("images", "Image set", "image-set"),
        Port("face", "Base face", "face"),
        Port("trigger", "Trigger word", "trigger-word"),
    ),
    description="A character of the asset library and what keeps it recognisable.",
)
LOCATION = NodeType(
    name="location",
    label="Location",
    refers_to="location",
    outputs=(Port("context", "Location", "location"),),
    description="A place of the asset library.",
)
STYLE = NodeType(
    name="style",
    label="Style",
    refers_to="style",
    outputs=(Port("aesthetic", "Style", "style"),),
    description="A visual style of the asset library.",
)
PROMPT = NodeType(
    name="prompt",
    label="Prompt",
    outputs=(Port("text", "Text", "text"),),
    parameters={"text": ""},
    description="Words added to the prompt of the shots it feeds.",
)
SHOT = NodeType(
    name="shot",
    label="Shot render",
    refers_to="shot",
    inputs=(
        Port("identity", "Identity", accepts=_IDENTITY),
        Port("aesthetic", "Aesthetic", accepts=frozenset({"style"}), multiple=False),
        Port("context", "Context", accepts=frozenset({"location"}), multiple=False),
        Port("prompt", "Prompt", accepts=frozenset({"text"})),
    ),
    outputs=(Port("takes", "Takes", "takes"),),
    parameters={"quality": None, "seed": None, "pipeline": None},
    description="Renders a shot from what is wired into it.",
)
TAKE_VIEWER = NodeType(
    name="take-viewer",
    label="Take viewer",
    inputs=(Port("takes", "Takes", accepts=frozenset({"takes"}), multiple=False),),
    description="Shows the active take of the shot it is wired to.",
)

BUILTIN_TYPES: tuple[NodeType, ...] = (CHARACTER, LOCATION, STYLE, PROMPT, SHOT, TAKE_VIEWER)


class NodeRegistry:
    """The node types a canvas may hold, by name."""

    def __init__(self, types: Iterable[NodeType] = ()) -> None:
        self._types: dict[str, NodeType] = {}
        for node_type in types:
            self.register(node_type)

    def register(self, node_type: NodeType) -> None:
        """Add `node_type`; a different type under a name already taken is refused."""
        known = self._types.get(node_type.name)
        if known is not None and known != node_type:
            raise GraphError(f"a canvas node type named {node_type.name!r} already exists")
        self._types[node_type.name] = node_type

    def get(self, name: str) -> NodeType:
        """The node type `name`; GraphError when there is none."""
        try:
            return self._types[name]
        except KeyError:
            known = ", ".join(sorted(self._types))
            raise GraphError(f"no canvas node type {name!r} (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[NodeType]:
        return iter(self._types.values())

    def __len__(self) -> int:
        return len(self._types)


def _loaded(value: Any) -> list[NodeType]:
    items = [value] if isinstance(value, NodeType) else list(value)
    if not all(isinstance(item, NodeType) for item in items):
        raise TypeError("expected a NodeType or a list of them")
    return items


@cache
def default_registry() -> NodeRegistry:
    """The built-in node types and those other packages declare as entry points."""
    registry = NodeRegistry(BUILTIN_TYPES)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            for node_type in _loaded(point.load()):
                registry.register(node_type)
        except Exception as exc:  # one broken plug-in must not take the canvas down
            log.warning("canvas node types from %s were not loaded: %s", point.value, exc)
    return registry


# ------------------------------------------------------------------ reading a graph


def nodes_of(canvas: Canvas, scene_id: str) -> list[dict[str, Any]]:
    """The nodes of the scene's graph."""
    return [n for n in canvas.nodes if n.get("sceneId") == scene_id]


def edges_of(canvas: Canvas, scene_id: str) -> list[dict[str, Any]]:
    """The edges of the scene's graph."""
    return [e for e in canvas.edges if e.get("sceneId") == scene_id]


def node_by_id(canvas: Canvas, node_id: str) -> dict[str, Any]:
    """The node `node_id`; GraphError when the canvas has none."""
    for node in canvas.nodes:
        if node.get("id") == node_id:
            return node
    raise GraphError(f"the canvas has no node {node_id!r}")


def viewport_of(canvas: Canvas, scene_id: str) -> dict[str, float]:
    """Where the scene's graph was last looked at: ``x``, ``y`` and ``zoom``."""
    scenes = canvas.viewport.get("scenes")
    saved = scenes.get(scene_id) if isinstance(scenes, dict) else None
    return dict(saved) if isinstance(saved, dict) else {"x": 0.0, "y": 0.0, "zoom": 1.0}


def reaches(edges: Iterable[Mapping[str, Any]], start: str, goal: str) -> bool:
    """True when following `edges` from node `start` leads to node `goal`."""
    following: dict[str, list[str]] = {}
    for edge in edges:
        following.setdefault(edge["source"], []).append(edge["target"])
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(following.get(node, ()))
    return False


def _name(node: Mapping[str, Any], node_type: NodeType, names: Mapping[str, str]) -> str:
    title = names.get(node["id"]) or node.get("data", {}).get("ref")
    return f"{node_type.label} {title}" if title else node_type.label


def check_connection(
    registry: NodeRegistry,
    canvas: Canvas,
    source: str,
    source_port: str,
    target: str,
    target_port: str,
    names: Mapping[str, str] | None = None,
) -> None:
    """Refuse, with a GraphError saying why, an edge the graph's rules forbid.

    `names` gives nodes the names the messages use (node id → name); the default is what the
    node stands for.
    """
    names = names or {}
    if source == target:
        raise GraphError("a node cannot be connected to itself")
    src, dst = node_by_id(canvas, source), node_by_id(canvas, target)
    if src.get("sceneId") != dst.get("sceneId"):
        raise GraphError("nodes of different scenes cannot be connected")
    src_type, dst_type = registry.get(src["type"]), registry.get(dst["type"])
    src_name, dst_name = _name(src, src_type, names), _name(dst, dst_type, names)
    out, inp = src_type.output(source_port), dst_type.input(target_port)
    if out is None:
        outs = ", ".join(p.id for p in src_type.outputs) or "none"
        raise GraphError(f"{src_name} has no output {source_port!r} (outputs: {outs})")
    if inp is None:
        ins = ", ".join(p.id for p in dst_type.inputs) or "none"
        raise GraphError(f"{dst_name} has no input {target_port!r} (inputs: {ins})")
    if out.type not in inp.accepts:
        takes = ", ".join(sorted(inp.accepts)) or "nothing"
        raise GraphError(
            f"cannot connect {out.label} ({out.type}) to the {inp.label} input of "
            f"{dst_name}: it takes {takes}"
        )
    edges = edges_of(canvas, src.get("sceneId", ""))
    into = [e for e in edges if e["target"] == target and e.get("targetHandle") == target_port]
    if any(e["source"] == source and e.get("sourceHandle") == source_port for e in into):
        raise GraphError("these ports are already connected")
    if into and not inp.multiple:
        raise GraphError(
            f"the {inp.label} input of {dst_name} takes one connection; "
            "disconnect the one it has first"
        )
    if reaches(edges, target, source):
        raise GraphError("this connection would make a cycle")


# ------------------------------------------------------------------ what feeds a shot


@dataclass
class ShotInputs:
    """What a graph wires into a shot: the composite prompt's inputs."""

    characters: list[str] = field(default_factory=list)
    location: str | None = None
    style: str | None = None
    notes: list[str] = field(default_factory=list)

    def assets(self) -> set[str]:
        """Every asset id among the inputs."""
        return {*self.characters, *(a for a in (self.location, self.style) if a)}


def shot_inputs(registry: NodeRegistry, canvas: Canvas, node_ids: Iterable[str]) -> ShotInputs:
    """The inputs wired into the render nodes `node_ids`, in the order of the edges."""
    wanted = set(node_ids)
    nodes = {n["id"]: n for n in canvas.nodes}
    inputs = ShotInputs()
    for edge in canvas.edges:
        source = nodes.get(edge["source"])
        if edge["target"] not in wanted or source is None or source["type"] not in registry:
            continue
        node_type = registry.get(source["type"])
        data = source.get("data", {})
        ref = data.get("ref")
        if node_type.refers_to == "character" and ref and ref not in inputs.characters:
            inputs.characters.append(ref)
        elif node_type.refers_to == "location" and ref:
            inputs.location = ref
        elif node_type.refers_to == "style" and ref:
            inputs.style = ref
        port = node_type.output(edge.get("sourceHandle") or "")
        text = str(data.get("text") or "").strip()
        if port is not None and port.type == "text" and text and text not in inputs.notes:
            inputs.notes.append(text)
    return inputs


def render_nodes(canvas: Canvas, shot_id: str) -> list[str]:
    """The ids of the render nodes standing for `shot_id`."""
    return [
        n["id"]
        for n in canvas.nodes
        if n.get("type") == SHOT.name and n.get("data", {}).get("ref") == shot_id
    ]


def prompt_notes(canvas: Canvas, shot_id: str, registry: NodeRegistry | None = None) -> list[str]:
    """The prompt texts wired into the shot's render nodes."""
    if not canvas.edges:
        return []
    registry = registry or default_registry()
    return shot_inputs(registry, canvas, render_nodes(canvas, shot_id)).notes
