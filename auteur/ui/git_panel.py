"""The git panel: changed files, commit with a message, history, and git-lfs patterns."""

from __future__ import annotations

import html
import re
from typing import Any

import panel as pn
import param

from ..storage import CommitInfo, StatusEntry
from .session import StudioSession

__all__ = ["GitPanel"]

_CODES = {
    "M": "modified",
    "A": "added",
    "D": "deleted",
    "R": "renamed",
    "?": "new",
    "U": "conflict",
}


_ANY_CASE = re.compile(r"\[([a-z])([A-Z])\]")


def _readable(pattern: str) -> str:
    """``*.[pP][nN][gG]`` (any case) as ``*.png``."""
    return _ANY_CASE.sub(
        lambda m: m.group(1) if m.group(1).upper() == m.group(2) else m.group(0), pattern
    )


def _describe(code: str) -> str:
    letter = code.strip()[:1] or "?"
    return _CODES.get(letter, code.strip())


class GitPanel(pn.viewable.Viewer):
    """What changed since the last commit, the history, and what git-lfs stores."""

    session = param.ClassSelector(class_=StudioSession, doc="The studio session.")
    active = param.Boolean(default=False, doc="Whether the panel shows; it reads git only then.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.changes = pn.pane.HTML("", sizing_mode="stretch_width")
        self.message = pn.widgets.TextInput(
            label="Commit message", placeholder="What changed", sizing_mode="stretch_width"
        )
        self.commit_button = pn.widgets.Button(label="Commit", color="primary")
        self.commit_button.on_click(lambda e: self.commit())
        self.refresh_button = pn.widgets.Button(label="Refresh", variant="outline")
        self.refresh_button.on_click(lambda e: self.refresh())
        self.history = pn.pane.HTML("", sizing_mode="stretch_width")
        self.patterns = pn.pane.HTML("", sizing_mode="stretch_width")
        self.pattern = pn.widgets.TextInput(
            label="New LFS pattern", placeholder="*.blend", sizing_mode="stretch_width"
        )
        self.track_button = pn.widgets.Button(label="Track with LFS")
        self.track_button.on_click(lambda e: self.track())
        self.session.param.watch(self._maybe_refresh, ["files", "revision", "store"])
        self.param.watch(self._maybe_refresh, "active")

    def __panel__(self) -> pn.viewable.Viewable:
        return pn.Column(
            pn.Row(pn.pane.HTML("<h3 style='margin:4px 0'>Changes</h3>"), self.refresh_button),
            self.changes,
            pn.Row(self.message, self.commit_button, sizing_mode="stretch_width"),
            pn.pane.HTML("<h3 style='margin:4px 0'>History</h3>"),
            self.history,
            pn.pane.HTML("<h3 style='margin:4px 0'>Stored with git-lfs</h3>"),
            self.patterns,
            pn.Row(self.pattern, self.track_button, sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )

    def _maybe_refresh(self, *_: Any) -> None:
        if self.active:
            self.refresh()

    def refresh(self) -> None:
        """Read the status, history and LFS patterns again."""
        store = self.session.store
        if store is None:
            return
        with self.session.reporting("Reading git"):
            status = store.git.status()
            log = store.git.log(limit=30)
            patterns = store.git.lfs_patterns()
            with pn.io.hold():
                self.changes.object = self._changes_html(status)
                self.history.object = self._history_html(log)
                self.patterns.object = self._patterns_html(patterns)

    @staticmethod
    def _changes_html(status: list[StatusEntry]) -> str:
        if not status:
            return "<i>Nothing to commit: every change is saved in git.</i>"
        rows = "".join(
            f"<li><code>{html.escape(entry.path)}</code> \u2014 {_describe(entry.code)}</li>"
            for entry in status[:200]
        )
        more = f"<li>\u2026and {len(status) - 200} more</li>" if len(status) > 200 else ""
        return f'<ul aria-label="Changed files" style="padding-left:18px">{rows}{more}</ul>'

    @staticmethod
    def _history_html(log: list[CommitInfo]) -> str:
        if not log:
            return "<i>No commit yet.</i>"
        rows = "".join(
            f"<li><code>{c.sha[:8]}</code> {html.escape(c.message)} "
            f'<span style="color:#666">\u2014 {html.escape(c.author)}, '
            f"{c.date:%Y-%m-%d %H:%M}</span></li>"
            for c in log
        )
        return f'<ul aria-label="History" style="padding-left:18px">{rows}</ul>'

    @staticmethod
    def _patterns_html(patterns: list[str]) -> str:
        if not patterns:
            return "<i>No pattern: media would be stored in git itself.</i>"
        items = " ".join(
            f'<code title="{html.escape(p)}">{html.escape(_readable(p))}</code>' for p in patterns
        )
        return f'<div aria-label="LFS patterns" style="line-height:1.8">{items}</div>'

    def commit(self) -> None:
        """Commit every change with the message typed."""
        store = self.session.store
        message = self.message.value.strip()
        if store is None:
            return
        if not message:
            self.session.notify("warning", "Write a commit message first")
            return
        with self.session.reporting("Committing"):
            sha = store.commit(message)
            if sha is None:
                self.session.notify("info", "Nothing to commit")
            else:
                self.session.notify("success", f"Committed {sha[:8]}: {message}")
                self.message.value = ""
            self.refresh()

    def track(self) -> None:
        """Send files matching the typed pattern through git-lfs."""
        store = self.session.store
        pattern = self.pattern.value.strip()
        if store is None:
            return
        with self.session.reporting(f"Tracking {pattern or 'a pattern'} with git-lfs"):
            if store.git.track_lfs(pattern):
                self.session.notify("success", f"{pattern} is now stored with git-lfs")
            else:
                self.session.notify("info", f"{pattern} was already stored with git-lfs")
            self.pattern.value = ""
            self.refresh()
