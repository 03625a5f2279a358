"""The session's render tasks, as the progress area and the scene view show them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import param

__all__ = ["TASK_EVENTS", "TaskInfo", "TaskTracker"]

#: Bus event types that describe render tasks.
TASK_EVENTS = frozenset(
    {"start_generation", "task_progress", "task_success", "task_failed", "node_state_updated"}
)

_DONE = ("completed", "error", "cancelled")


@dataclass(frozen=True)
class TaskInfo:
    """One render task: what it renders, how far it got and how it ended."""

    task_id: str
    node_id: str | None = None
    label: str = ""
    progress: float = 0.0
    step: str = ""
    status: str = "pending"  # pending, running, completed, error or cancelled
    error: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished: datetime | None = None

    @property
    def done(self) -> bool:
        return self.status in _DONE

    @property
    def seconds(self) -> float:
        end = self.finished or datetime.now(UTC)
        return max(0.0, (end - self.started).total_seconds())


class TaskTracker(param.Parameterized):
    """Follows task events and keeps the session's tasks, running and finished."""

    tasks = param.Dict(default={}, doc="Task id → TaskInfo, in the order the tasks started.")
    version = param.Integer(default=0, doc="Bumped on every change, for views to follow.")

    def running(self) -> list[TaskInfo]:
        """Tasks not finished yet, oldest first."""
        return [t for t in self.tasks.values() if not t.done]

    def history(self) -> list[TaskInfo]:
        """Finished tasks, newest first."""
        return sorted((t for t in self.tasks.values() if t.done), key=lambda t: t.started)[::-1]

    def for_node(self, node_id: str) -> TaskInfo | None:
        """The running task of `node_id` (a shot id), if any."""
        found = [t for t in self.tasks.values() if t.node_id == node_id and not t.done]
        return found[-1] if found else None

    def start(self, task_id: str, node_id: str | None, label: str, step: str = "") -> TaskInfo:
        """Record a task this session submitted."""
        info = self.tasks.get(task_id) or TaskInfo(task_id, node_id, label, step=step)
        return self._put(replace(info, label=label or info.label, node_id=node_id or info.node_id))

    def rename(self, old: str, new: str) -> None:
        """The task known as `old` got its real id `new`."""
        tasks = dict(self.tasks)
        before = tasks.pop(old, None)
        if before is None:
            return
        if new not in tasks:
            tasks[new] = replace(before, task_id=new)
        elif not tasks[new].label:  # its events came first, without a name for it
            tasks[new] = replace(tasks[new], label=before.label)
        self.tasks = tasks
        self.version += 1

    def fail(self, task_id: str, error: str) -> None:
        """Mark a task failed before any event came for it."""
        info = self.tasks.get(task_id)
        if info is not None and not info.done:
            self._put(replace(info, status="error", error=error, finished=datetime.now(UTC)))

    def handle(self, event: Any, label: str = "") -> TaskInfo | None:
        """Apply one task event; return the task it changed, or None."""
        kind = event.type
        if kind == "start_generation":
            task_id = str(event.parameters.get("jobId") or f"pending:{event.node_id}")
            info = self.tasks.get(task_id) or TaskInfo(task_id, event.node_id, label)
            return self._put(replace(info, step=info.step or "queued"))
        if kind == "node_state_updated":
            current = self.for_node(event.node_id)
            if current is None or event.progress is None:
                return None
            return self._put(replace(current, progress=max(current.progress, event.progress)))
        info = self._task(event, label)
        if kind == "task_progress":
            status = "running" if event.status == "pending" and event.progress > 0 else event.status
            return self._put(
                replace(
                    info,
                    progress=max(info.progress, event.progress),
                    step=event.step or info.step,
                    status=status,
                    finished=datetime.now(UTC) if status in _DONE else None,
                )
            )
        if kind == "task_success":
            return self._put(
                replace(
                    info,
                    progress=1.0,
                    status="completed",
                    result=dict(event.result),
                    finished=datetime.now(UTC),
                )
            )
        if kind == "task_failed":
            cancelled = "cancel" in event.error.lower()
            return self._put(
                replace(
                    info,
                    status="cancelled" if cancelled else "error",
                    error=event.error,
                    finished=datetime.now(UTC),
                )
            )
        return None

    def _task(self, event: Any, label: str) -> TaskInfo:
        if event.task_id in self.tasks:
            return self.tasks[event.task_id]
        return TaskInfo(event.task_id, getattr(event, "node_id", None), label)

    def _put(self, info: TaskInfo) -> TaskInfo:
        tasks = dict(self.tasks)
        tasks[info.task_id] = info
        self.tasks = tasks
        self.version += 1
        return info
