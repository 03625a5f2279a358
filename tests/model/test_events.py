"""Typed events: the discriminated union of the sixteen event types, and the event bus."""

from __future__ import annotations

import json
import logging
import threading
import typing
from typing import Any

import pytest
from pydantic import ValidationError

from auteur.model import (
    AssetAddedEvent,
    CharacterCreatedEvent,
    CharacterLoraStatusEvent,
    CharacterUsageUpdatedEvent,
    CharacterVariationGeneratedEvent,
    CreativeDocumentUpdatedEvent,
    Event,
    EventBus,
    NarrativeStructureChangedEvent,
    NodeStateUpdatedEvent,
    PanelResizeEvent,
    ProjectUpdateEvent,
    SelectionChangeEvent,
    StartGenerationEvent,
    TakeCreatedEvent,
    TaskFailedEvent,
    TaskProgressEvent,
    TaskSuccessEvent,
    parse_event,
)

#: One example of each event type as it travels on the wire (camelCase).
EXAMPLES: dict[str, tuple[type, dict[str, Any]]] = {
    "project_update": (ProjectUpdateEvent, {"changes": {"action": "added", "id": "shot-1"}}),
    "narrative_structure_changed": (NarrativeStructureChangedEvent, {"structure": "story-circle"}),
    "creative_document_updated": (
        CreativeDocumentUpdatedEvent,
        {"documentType": "screenplay", "path": "02_Source_Creative/Scripts/Draft.fountain"},
    ),
    "asset_added": (AssetAddedEvent, {"category": "locations", "asset": {"assetId": "loc-1"}}),
    "take_created": (
        TakeCreatedEvent,
        {"nodeId": "n1", "shotId": "shot-1", "takePath": "03_Renders/a.png", "takeNumber": 2},
    ),
    "character_created": (
        CharacterCreatedEvent,
        {"assetId": "char-1", "name": "Mara", "fromConcept": True},
    ),
    "character_lora_status": (
        CharacterLoraStatusEvent,
        {"assetId": "char-1", "status": "training", "progress": 0.4},
    ),
    "character_variation_generated": (
        CharacterVariationGeneratedEvent,
        {"assetId": "char-1", "variationType": "expression_happy", "variationPath": "v/h.png"},
    ),
    "character_usage_updated": (
        CharacterUsageUpdatedEvent,
        {"assetId": "char-1", "usage": ["shot-1", "shot-2"]},
    ),
    "node_state_updated": (
        NodeStateUpdatedEvent,
        {"nodeId": "n1", "state": "generating", "progress": 0.5},
    ),
    "start_generation": (
        StartGenerationEvent,
        {"nodeId": "n1", "nodeType": "shot", "parameters": {"steps": 4}},
    ),
    "task_progress": (
        TaskProgressEvent,
        {"taskId": "t1", "nodeId": "n1", "progress": 0.25, "step": "denoise", "status": "running"},
    ),
    "task_success": (TaskSuccessEvent, {"taskId": "t1", "result": {"take": "a.png"}}),
    "task_failed": (TaskFailedEvent, {"taskId": "t1", "error": "out of memory"}),
    "selection_change": (SelectionChangeEvent, {"targetType": "shot", "targetId": "shot-1"}),
    "panel_resize": (PanelResizeEvent, {"panel": "left", "width": 320.0}),
}


def test_the_union_has_exactly_the_sixteen_issue_types():
    union = typing.get_args(typing.get_args(Event)[0])
    types = {cls.model_fields["type"].default for cls in union}
    assert types == set(EXAMPLES)
    assert len(union) == 16


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_each_type_parses_to_its_class_and_round_trips(event_type: str):
    cls, body = EXAMPLES[event_type]
    wire = {"type": event_type, "projectId": "project-1", **body}
    event = parse_event(wire)
    assert type(event) is cls
    assert event.type == event_type
    assert event.project_id == "project-1"
    data = event.to_data()
    assert data == {**{k: v for k, v in data.items() if k not in wire}, **wire}
    assert parse_event(data) == event
    assert parse_event(json.dumps(data)) == event
    assert parse_event(json.dumps(data).encode()) == event


def test_events_serialise_in_camel_case():
    event = TakeCreatedEvent(shot_id="shot-1", take_path="a.png", take_number=1)
    data = event.to_data()
    assert {"shotId", "takePath", "takeNumber", "projectId"} <= set(data)
    assert data["type"] == "take_created"


@pytest.mark.parametrize(
    "wire",
    [
        {"type": "no_such_event"},  # unknown discriminator
        {"changes": {}},  # no type at all
        {"type": "task_progress", "taskId": "t", "progress": 1.5},  # progress above 1
        {"type": "take_created", "shotId": "s"},  # missing fields
        {"type": "panel_resize", "panel": "top", "width": 1},  # not a panel
    ],
)
def test_invalid_events_are_refused(wire: dict[str, Any]):
    with pytest.raises(ValidationError):
        parse_event(wire)


# ---------------------------------------------------------------- the bus


def test_bus_delivers_in_order_and_filters_by_type():
    bus = EventBus()
    seen: list[tuple[str, str]] = []
    bus.subscribe(lambda e: seen.append(("all", e.type)))
    bus.subscribe(lambda e: seen.append(("tasks", e.type)), types=["task_failed"])
    bus.publish(ProjectUpdateEvent())
    bus.publish(TaskFailedEvent(task_id="t", error="x"))
    assert seen == [
        ("all", "project_update"),
        ("all", "task_failed"),
        ("tasks", "task_failed"),
    ]


def test_unsubscribe_stops_delivery():
    bus = EventBus()
    seen: list[Any] = []
    unsubscribe = bus.subscribe(seen.append)
    bus.publish(ProjectUpdateEvent())
    unsubscribe()
    unsubscribe()  # twice is harmless
    bus.publish(ProjectUpdateEvent())
    assert len(seen) == 1


def test_a_failing_handler_is_logged_and_does_not_stop_others(caplog: pytest.LogCaptureFixture):
    bus = EventBus()
    seen: list[Any] = []

    def broken(event: Any) -> None:
        raise RuntimeError("handler bug")

    bus.subscribe(broken)
    bus.subscribe(seen.append)
    with caplog.at_level(logging.ERROR, logger="auteur.model.events"):
        bus.publish(ProjectUpdateEvent())
    assert len(seen) == 1
    assert "project_update" in caplog.text and "handler bug" in caplog.text


def test_publishing_from_threads_reaches_every_subscriber():
    bus = EventBus()
    seen: list[Any] = []
    lock = threading.Lock()

    def record(event: Any) -> None:
        with lock:
            seen.append(event)

    bus.subscribe(record)
    threads = [
        threading.Thread(target=lambda: [bus.publish(ProjectUpdateEvent()) for _ in range(50)])
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 200
