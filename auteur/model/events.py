"""Typed events, published on an in-process bus whenever the project or a render changes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from ._base import CamelModel
from .enums import AssetCategory, DocumentType, LoraTrainingStatus, NarrativeStructure

__all__ = [
    "AssetAddedEvent",
    "CharacterCreatedEvent",
    "CharacterLoraStatusEvent",
    "CharacterUsageUpdatedEvent",
    "CharacterVariationGeneratedEvent",
    "CreativeDocumentUpdatedEvent",
    "Event",
    "EventBus",
    "NarrativeStructureChangedEvent",
    "NodeStateUpdatedEvent",
    "PanelResizeEvent",
    "ProjectUpdateEvent",
    "SelectionChangeEvent",
    "StartGenerationEvent",
    "TakeCreatedEvent",
    "TaskFailedEvent",
    "TaskProgressEvent",
    "TaskSuccessEvent",
    "parse_event",
]

log = logging.getLogger(__name__)


class _Event(CamelModel):
    project_id: str | None = None


class ProjectUpdateEvent(_Event):
    """Something in the project changed; `changes` says what."""

    type: Literal["project_update"] = "project_update"
    changes: dict[str, Any] = Field(default_factory=dict)


class NarrativeStructureChangedEvent(_Event):
    type: Literal["narrative_structure_changed"] = "narrative_structure_changed"
    structure: NarrativeStructure


class CreativeDocumentUpdatedEvent(_Event):
    type: Literal["creative_document_updated"] = "creative_document_updated"
    document_type: DocumentType
    path: str


class AssetAddedEvent(_Event):
    type: Literal["asset_added"] = "asset_added"
    category: AssetCategory
    asset: dict[str, Any]


class TakeCreatedEvent(_Event):
    type: Literal["take_created"] = "take_created"
    node_id: str | None = None
    shot_id: str
    take_path: str
    take_number: int


class CharacterCreatedEvent(_Event):
    type: Literal["character_created"] = "character_created"
    asset_id: str
    name: str
    from_concept: bool = False


class CharacterLoraStatusEvent(_Event):
    type: Literal["character_lora_status"] = "character_lora_status"
    asset_id: str
    status: LoraTrainingStatus
    progress: float | None = None


class CharacterVariationGeneratedEvent(_Event):
    type: Literal["character_variation_generated"] = "character_variation_generated"
    asset_id: str
    variation_type: str
    variation_path: str


class CharacterUsageUpdatedEvent(_Event):
    type: Literal["character_usage_updated"] = "character_usage_updated"
    asset_id: str
    usage: list[str]


class NodeStateUpdatedEvent(_Event):
    type: Literal["node_state_updated"] = "node_state_updated"
    node_id: str
    state: Literal["idle", "generating", "completed", "error"]
    progress: float | None = None


class StartGenerationEvent(_Event):
    type: Literal["start_generation"] = "start_generation"
    node_id: str
    node_type: str = "shot"
    parameters: dict[str, Any] = Field(default_factory=dict)


class TaskProgressEvent(_Event):
    type: Literal["task_progress"] = "task_progress"
    task_id: str
    node_id: str | None = None
    progress: float = Field(ge=0, le=1)
    step: str = ""
    status: Literal["pending", "running", "completed", "error"] = "running"


class TaskSuccessEvent(_Event):
    type: Literal["task_success"] = "task_success"
    task_id: str
    node_id: str | None = None
    result: dict[str, Any] = Field(default_factory=dict)


class TaskFailedEvent(_Event):
    type: Literal["task_failed"] = "task_failed"
    task_id: str
    node_id: str | None = None
    error: str


class SelectionChangeEvent(_Event):
    type: Literal["selection_change"] = "selection_change"
    target_type: Literal["project", "chapter", "scene", "shot", "take", "asset", "node"]
    target_id: str


class PanelResizeEvent(_Event):
    type: Literal["panel_resize"] = "panel_resize"
    panel: Literal["left", "right"]
    width: float


Event = Annotated[
    ProjectUpdateEvent
    | NarrativeStructureChangedEvent
    | CreativeDocumentUpdatedEvent
    | AssetAddedEvent
    | TakeCreatedEvent
    | CharacterCreatedEvent
    | CharacterLoraStatusEvent
    | CharacterVariationGeneratedEvent
    | CharacterUsageUpdatedEvent
    | NodeStateUpdatedEvent
    | StartGenerationEvent
    | TaskProgressEvent
    | TaskSuccessEvent
    | TaskFailedEvent
    | SelectionChangeEvent
    | PanelResizeEvent,
    Field(discriminator="type"),
]

_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(data: dict[str, Any] | str | bytes) -> Event:
    """Build the typed event that `data` (a dict or JSON text) describes."""
    if isinstance(data, str | bytes):
        return _EVENT_ADAPTER.validate_json(data)
    return _EVENT_ADAPTER.validate_python(data)


Handler = Callable[[Any], None]


class EventBus:
    """Synchronous in-process publish/subscribe of typed events. Thread-safe.

    Handlers run on the publishing thread, in subscription order. A failing handler is
    logged and never stops the others or the publisher.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[tuple[frozenset[str] | None, Handler]] = []

    def subscribe(self, handler: Handler, types: Iterable[str] | None = None) -> Callable[[], None]:
        """Call `handler` for each event (or only those of `types`); return an unsubscribe."""
        entry = (frozenset(types) if types is not None else None, handler)
        with self._lock:
            self._subscribers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subscribers:
                    self._subscribers.remove(entry)

        return unsubscribe

    def publish(self, event: Any) -> None:
        """Deliver `event` to every matching subscriber."""
        with self._lock:
            subscribers = list(self._subscribers)
        for types, handler in subscribers:
            if types is not None and event.type not in types:
                continue
            try:
                handler(event)
            except Exception:
                log.exception("event handler %r failed on %s", handler, event.type)
