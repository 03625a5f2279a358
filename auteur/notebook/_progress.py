"""A live progress widget for renders started from a notebook (ipywidgets)."""

from __future__ import annotations

import html
from typing import Any

__all__ = ["RenderProgress"]


class RenderProgress:
    """One progress bar per render job, updated from the jobs' status snapshots.

    Without ipywidgets it does nothing; outside a kernel it is built but not displayed.
    """

    def __init__(self, labels: dict[str, str], show: bool = True) -> None:
        self.labels = labels
        self.widget: Any = None
        self._bars: dict[str, Any] = {}
        self._steps: dict[str, Any] = {}
        if not show:
            return
        try:
            import ipywidgets as widgets
        except ImportError:
            return

        rows = []
        for job_id, label in labels.items():
            bar = widgets.FloatProgress(
                value=0.0, min=0.0, max=1.0, description=label[:20], bar_style="info"
            )
            step = widgets.HTML("waiting")
            self._bars[job_id], self._steps[job_id] = bar, step
            rows.append(widgets.HBox([bar, step]))
        self.summary = widgets.HTML(f"<b>Rendering {len(labels)} shot(s)</b>")
        self.widget = widgets.VBox([self.summary, *rows])
        if _in_kernel():
            from IPython.display import display

            display(self.widget)

    def update(self, statuses: list[Any]) -> None:
        """Show the state of each job: its progress, its step, or its error."""
        if self.widget is None:
            return
        done = 0
        for status in statuses:
            bar, step = self._bars.get(status.job_id), self._steps.get(status.job_id)
            if bar is None:
                continue
            bar.value = 1.0 if status.state == "succeeded" else status.progress
            if status.state == "succeeded":
                bar.bar_style, text = "success", "done"
            elif status.state in ("failed", "cancelled"):
                bar.bar_style, text = "danger", f"{status.state}: {status.error or ''}"
            else:
                text = f"{round(status.progress * 100)}% {status.step or status.state}"
            step.value = html.escape(text)
            done += status.done
        self.summary.value = f"<b>Rendered {done} of {len(self.labels)} shot(s)</b>"


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None
