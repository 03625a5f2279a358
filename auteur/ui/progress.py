"""Progress and notifications: the session's tasks, their history, toasts and the dashboard."""

from __future__ import annotations

import html
from typing import Any

import panel as pn
import param

from .session import StudioSession
from .tasks import TaskInfo

__all__ = ["ProgressArea"]

_STATUS = {
    "completed": "\u2713 done",
    "error": "\u2717 failed",
    "cancelled": "cancelled",
    "pending": "waiting",
    "running": "running",
}
_LEVEL_COLOURS = {"error": "#b00020", "warning": "#8a5a00", "success": "#1b6e20", "info": "#333"}


class _TaskRow:
    """The widgets of one running task, updated in place as events arrive."""

    def __init__(self, info: TaskInfo, on_cancel: Any) -> None:
        self.label = pn.pane.HTML("", margin=(0, 5))
        self.bar = pn.indicators.Progress(
            value=0, max=100, height=12, sizing_mode="stretch_width", margin=(2, 5)
        )
        self.step = pn.pane.HTML("", margin=(0, 5), styles={"color": "#555", "font-size": "12px"})
        self.cancel = pn.widgets.Button(label="Cancel", variant="outline", width=80)
        self.cancel.on_click(lambda e: on_cancel(info.task_id))
        self.layout = pn.Row(
            pn.Column(self.label, self.bar, self.step, sizing_mode="stretch_width"),
            self.cancel,
            sizing_mode="stretch_width",
        )
        self.update(info)

    def update(self, info: TaskInfo) -> None:
        percent = round(info.progress * 100)
        label = f"<b>{html.escape(info.label or info.task_id)}</b> \u00b7 {_STATUS[info.status]}"
        step = html.escape(f"{percent}% {info.step}".strip())
        if self.label.object != label:
            self.label.object = label
        if self.bar.value != percent:
            self.bar.value = percent
        if self.step.object != step:
            self.step.object = step


class ProgressArea(pn.viewable.Viewer):
    """Running tasks with progress bars and cancel buttons, the history and notifications."""

    session = param.ClassSelector(class_=StudioSession, doc="The studio session.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._rows: dict[str, _TaskRow] = {}
        self.running = pn.Column(sizing_mode="stretch_width")
        self.idle = pn.pane.HTML("<i>No task running.</i>", margin=(0, 10))
        self.history = pn.pane.HTML("", sizing_mode="stretch_width", margin=(0, 10))
        self.messages = pn.pane.HTML("", sizing_mode="stretch_width", margin=(0, 10))
        self.dashboard = pn.pane.HTML("", margin=(0, 10))
        # One column inside the card: expanding a card shows each of its direct children again,
        # which would undo `visible=False` on them.
        body = pn.Column(
            self.idle,
            self.running,
            pn.pane.HTML("<b>History</b>", margin=(8, 10, 0, 10)),
            self.history,
            pn.pane.HTML("<b>Notifications</b>", margin=(8, 10, 0, 10)),
            self.messages,
            self.dashboard,
            sizing_mode="stretch_width",
        )
        self.card = pn.Card(
            body,
            title="Progress and notifications",
            collapsed=True,
            sizing_mode="stretch_width",
        )
        self.session.tasks.param.watch(self._draw_tasks, "version")
        self.session.tasks.param.watch(self._draw_dashboard_once, "version")
        self.session.param.watch(self._expand, "expand_progress")
        self.session.param.watch(self._draw_messages, "messages")
        self.session.param.watch(self._draw_dashboard, "render")
        self._draw_tasks()
        self._draw_messages()
        self._draw_dashboard()

    def __panel__(self) -> pn.viewable.Viewable:
        return self.card

    def _expand(self, *_: Any) -> None:
        self.card.collapsed = False

    def _draw_tasks(self, *_: Any) -> None:
        tracker = self.session.tasks
        running = tracker.running()
        with pn.io.hold():
            for info in running:
                row = self._rows.get(info.task_id)
                if row is None:
                    self._rows[info.task_id] = _TaskRow(info, self.session.cancel)
                else:
                    row.update(info)
            alive = {info.task_id for info in running}
            for task_id in [t for t in self._rows if t not in alive]:
                del self._rows[task_id]
            layouts = [self._rows[info.task_id].layout for info in running]
            if [id(o) for o in self.running.objects] != [id(o) for o in layouts]:
                self.running.objects = layouts
            self.idle.visible = not running
            self.history.object = self._history_html(tracker.history())

    @staticmethod
    def _history_html(history: list[TaskInfo]) -> str:
        if not history:
            return "<i>No finished task yet.</i>"
        rows = []
        for info in history[:50]:
            detail = f" \u2014 {html.escape(info.error)}" if info.error else ""
            rows.append(
                f"<li>{html.escape(info.label or info.task_id)}: {_STATUS[info.status]}"
                f" in {info.seconds:.1f} s{detail}</li>"
            )
        return f'<ul aria-label="Task history" style="padding-left:18px">{"".join(rows)}</ul>'

    def _draw_messages(self, *_: Any) -> None:
        items = [
            f'<li style="color:{_LEVEL_COLOURS.get(level, "#333")}">{html.escape(text)}</li>'
            for level, text in reversed(self.session.messages[-20:])
        ]
        self.messages.object = (
            f'<ul aria-label="Notifications" style="padding-left:18px">{"".join(items)}</ul>'
            if items
            else "<i>No notification yet.</i>"
        )

    def _draw_dashboard_once(self, *_: Any) -> None:
        if "href" not in self.dashboard.object:
            self._draw_dashboard()

    def _draw_dashboard(self, *_: Any) -> None:
        engine = self.session.engine
        link = engine.dashboard_link if engine is not None and engine.started else None
        self.dashboard.object = (
            f'<a href="{html.escape(link)}" target="_blank" rel="noopener">Dask dashboard</a>'
            if link
            else "<i>The Dask dashboard shows here once the render engine is up.</i>"
        )
