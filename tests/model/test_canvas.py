"""The canvas graph model: node types, typed ports, cycles and what feeds a shot."""

from __future__ import annotations

from typing import Any

import pytest

from auteur.model import Canvas, Project
from auteur.model.canvas import (
    BUILTIN_TYPES,
    ENTRY_POINT_GROUP,
    GraphError,
    NodeRegistry,
    NodeType,
    Port,
    check_connection,
    default_registry,
    edges_of,
    nodes_of,
    prompt_notes,
    reaches,
    shot_inputs,
    viewport_of,
)

#: A type another package might add: text in, text out, so it can be chained (and looped).
REWRITE = NodeType(
    name="rewrite",
    label="Rewrite",
    inputs=(Port("in", "Text in", accepts=frozenset({"text"})),),
    outputs=(Port("out", "Text out", "text"),),
)


def node(ident: str, kind: str, scene: str = "s1", **data: Any) -> dict[str, Any]:
    return {"id": ident, "type": kind, "sceneId": scene, "position": {"x": 0, "y": 0}, "data": data}


def edge(source: str, out: str, target: str, inp: str, scene: str = "s1") -> dict[str, Any]:
    ident = f"{source}.{out}-{target}.{inp}"
    return {
        "id": ident,
        "sceneId": scene,
        "source": source,
        "sourceHandle": out,
        "target": target,
        "targetHandle": inp,
    }


@pytest.fixture
def registry() -> NodeRegistry:
    return NodeRegistry([*BUILTIN_TYPES, REWRITE])


@pytest.fixture
def canvas() -> Canvas:
    return Canvas(
        nodes=[
            node("ava", "character", ref="char-ava"),
            node("bo", "character", ref="char-bo"),
            node("diner", "location", ref="loc-diner"),
            node("pier", "location", ref="loc-pier"),
            node("noir", "style", ref="style-noir"),
            node("words", "prompt", text="rain on the window"),
            node("shot", "shot", ref="shot-1"),
            node("viewer", "take-viewer"),
            node("r1", "rewrite"),
            node("r2", "rewrite"),
            node("elsewhere", "character", scene="s2", ref="char-ava"),
        ]
    )


def test_builtin_types_and_their_ports() -> None:
    registry = default_registry()
    names = {t.name for t in registry}
    assert {"character", "location", "style", "prompt", "shot", "take-viewer"} <= names
    character = registry.get("character")
    assert [p.label for p in character.outputs] == [
        "LoRA reference",
        "Image set",
        "Base face",
        "Trigger word",
    ]
    shot = registry.get("shot")
    assert [p.id for p in shot.inputs] == ["identity", "aesthetic", "context", "prompt"]
    assert [p.id for p in shot.outputs] == ["takes"]
    assert set(shot.parameters) == {"quality", "seed", "pipeline"}


def test_registry_refuses_a_second_type_under_a_taken_name(registry: NodeRegistry) -> None:
    registry.register(REWRITE)  # the same type again is harmless
    with pytest.raises(GraphError, match="already exists"):
        registry.register(NodeType(name="rewrite", label="Other"))
    with pytest.raises(GraphError, match="no canvas node type 'nope'"):
        registry.get("nope")


def test_entry_point_group_is_the_documented_one() -> None:
    assert ENTRY_POINT_GROUP == "auteur.canvas_nodes"


@pytest.mark.parametrize(
    ("source", "out", "target", "inp"),
    [
        ("ava", "lora", "shot", "identity"),  # each character output feeds identity
        ("ava", "images", "shot", "identity"),
        ("ava", "face", "shot", "identity"),
        ("ava", "trigger", "shot", "identity"),
        ("noir", "aesthetic", "shot", "aesthetic"),  # a style is the aesthetic
        ("diner", "context", "shot", "context"),  # a location is the context
        ("words", "text", "shot", "prompt"),  # a prompt node feeds the prompt
        ("shot", "takes", "viewer", "takes"),  # takes go to a viewer
    ],
)
def test_compatible_ports_connect(
    registry: NodeRegistry, canvas: Canvas, source: str, out: str, target: str, inp: str
) -> None:
    check_connection(registry, canvas, source, out, target, inp)


@pytest.mark.parametrize(
    ("source", "out", "target", "inp", "message"),
    [
        # a character is not an aesthetic
        (
            "ava",
            "lora",
            "shot",
            "aesthetic",
            "cannot connect LoRA reference .lora.",
        ),
        # a location is not identity
        ("diner", "context", "shot", "identity", "it takes face, image-set, lora, trigger-word"),
        # takes do not go back into a prompt
        ("shot", "takes", "shot", "prompt", "itself"),
        # ports that do not exist
        ("ava", "voice", "shot", "identity", "has no output 'voice'"),
        ("ava", "lora", "shot", "mood", "has no input 'mood'"),
        # inputs are not outputs
        ("shot", "identity", "viewer", "takes", "has no output 'identity'"),
        # graphs are per scene
        ("elsewhere", "lora", "shot", "identity", "different scenes"),
    ],
)
def test_incompatible_ports_are_refused_with_a_message(
    registry: NodeRegistry,
    canvas: Canvas,
    source: str,
    out: str,
    target: str,
    inp: str,
    message: str,
) -> None:
    with pytest.raises(GraphError, match=message):
        check_connection(registry, canvas, source, out, target, inp)


def test_single_inputs_and_duplicates_are_refused(registry: NodeRegistry, canvas: Canvas) -> None:
    canvas.edges.append(edge("diner", "context", "shot", "context"))
    with pytest.raises(GraphError, match="takes one connection"):
        check_connection(registry, canvas, "pier", "context", "shot", "context")
    with pytest.raises(GraphError, match="already connected"):
        check_connection(registry, canvas, "diner", "context", "shot", "context")
    canvas.edges.append(edge("ava", "lora", "shot", "identity"))
    check_connection(registry, canvas, "bo", "lora", "shot", "identity")  # identity takes many


def test_cycles_are_refused(registry: NodeRegistry, canvas: Canvas) -> None:
    canvas.edges += [edge("words", "text", "r1", "in"), edge("r1", "out", "r2", "in")]
    assert reaches(canvas.edges, "words", "r2")
    assert not reaches(canvas.edges, "r2", "words")
    with pytest.raises(GraphError, match="cycle"):
        check_connection(registry, canvas, "r2", "out", "r1", "in")


def test_shot_inputs_follow_the_edges(registry: NodeRegistry, canvas: Canvas) -> None:
    canvas.edges += [
        edge("bo", "face", "shot", "identity"),
        edge("ava", "lora", "shot", "identity"),
        edge("ava", "face", "shot", "identity"),  # the same character twice counts once
        edge("noir", "aesthetic", "shot", "aesthetic"),
        edge("diner", "context", "shot", "context"),
        edge("words", "text", "shot", "prompt"),
    ]
    inputs = shot_inputs(registry, canvas, ["shot"])
    assert inputs.characters == ["char-bo", "char-ava"]
    assert (inputs.location, inputs.style) == ("loc-diner", "style-noir")
    assert inputs.notes == ["rain on the window"]
    assert inputs.assets() == {"char-bo", "char-ava", "loc-diner", "style-noir"}
    assert prompt_notes(canvas, "shot-1", registry) == ["rain on the window"]
    assert prompt_notes(canvas, "shot-2", registry) == []


def test_scene_graphs_and_viewports(canvas: Canvas) -> None:
    assert [n["id"] for n in nodes_of(canvas, "s2")] == ["elsewhere"]
    canvas.edges.append(edge("ava", "lora", "shot", "identity"))
    assert len(edges_of(canvas, "s1")) == 1 and edges_of(canvas, "s2") == []
    assert viewport_of(canvas, "s1") == {"x": 0.0, "y": 0.0, "zoom": 1.0}
    canvas.viewport = {"scenes": {"s1": {"x": 5, "y": 6, "zoom": 1.5}}}
    assert viewport_of(canvas, "s1") == {"x": 5, "y": 6, "zoom": 1.5}


def test_a_graph_round_trips_through_the_manifest(canvas: Canvas) -> None:
    canvas.edges.append(edge("ava", "lora", "shot", "identity"))
    canvas.viewport = {"scenes": {"s1": {"x": 1.0, "y": 2.0, "zoom": 0.75}}}
    project = Project(name="Graph", canvas=canvas)
    again = Project.model_validate_json(project.model_dump_json(by_alias=True))
    assert again.canvas == canvas
    # A manifest from before per-scene graphs still loads: a flat viewport is ignored.
    old = Project.model_validate(
        {"name": "Old", "canvas": {"nodes": [], "edges": [], "viewport": {"x": 3, "zoom": 2}}}
    )
    assert viewport_of(old.canvas, "s1")["zoom"] == 1.0
