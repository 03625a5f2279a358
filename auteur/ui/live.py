"""Live updates: watch a project's folder and tell the studio when its files change.

Whatever wrote the change (this session, another tab, a notebook, the command line or a text
editor), the studio then calls `ProjectStore.refresh()`, which ignores the store's own writes
by their revision, and updates its views.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import watchfiles

from ..storage._atomic import TEMP_SUFFIX

__all__ = ["ProjectWatcher", "is_project_change"]

log = logging.getLogger(__name__)

#: Folders whose changes never matter to the views: caches and exports.
_IGNORED_PARTS = {"05_Cache", "06_Exports"}
#: Files in `.git` that do matter: the project's revision (written by every command) and the
#: index (a commit or `git add` changes what the git panel shows).
_GIT_FILES = {"auteur.revision", "index", "HEAD"}


def is_project_change(root: Path, path: str) -> bool:
    """True when a change to `path` can change what the studio shows of the project in `root`."""
    rel = Path(path)
    try:
        rel = rel.relative_to(root)
    except ValueError:
        return False
    name = rel.name
    if name.endswith(TEMP_SUFFIX) or name.endswith(".lock") or name.endswith("~"):
        return False
    parts = rel.parts
    if not parts:
        return False
    if parts[0] == ".git":
        return len(parts) == 2 and name in _GIT_FILES
    if parts[0] in _IGNORED_PARTS:
        return False
    if parts[0] == ".auteur":
        return len(parts) >= 2 and (parts[1] == "scenes" or name == "auteur.revision")
    return True


class ProjectWatcher:
    """A background thread that calls `on_change` soon after files of a project change.

    `on_change` runs on the watcher's thread with the changed paths; it must hand the work to
    the thread that owns the views (the studio schedules it on its document).
    """

    def __init__(
        self,
        root: Path,
        on_change: Callable[[set[str]], None],
        *,
        debounce_ms: int = 50,
        step_ms: int = 20,
    ) -> None:
        self.root = Path(root).resolve()
        self._on_change = on_change
        self._debounce = debounce_ms
        self._step = step_ms
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, wait: float = 0.0) -> ProjectWatcher:
        """Start watching. Waits `wait` seconds at most for the watch to be in place; once it
        is, `on_change` is called once with no paths, to catch up with changes made meanwhile."""
        if self.running:
            return self
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"auteur-watch-{self.root.name}", daemon=True
        )
        self._thread.start()
        self._ready.wait(wait)
        return self

    def stop(self, wait: float = 2.0) -> None:
        """Stop watching and wait for the thread to end."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(wait)
        self._thread = None

    def _filter(self, change: watchfiles.Change, path: str) -> bool:
        return is_project_change(self.root, path)

    def _run(self) -> None:
        watch = watchfiles.watch(
            self.root,
            watch_filter=self._filter,
            debounce=self._debounce,
            step=self._step,
            stop_event=self._stop,
            rust_timeout=200,
            yield_on_timeout=True,
            raise_interrupt=False,
        )
        try:
            for changes in watch:
                if self._stop.is_set():
                    break
                if not self._ready.is_set():
                    # The first yield (a timeout) says the watch is in place: anything written
                    # before that was not seen, so catch up once.
                    self._ready.set()
                    changes = changes or {(watchfiles.Change.modified, str(self.root))}
                if not changes:
                    continue
                try:
                    self._on_change({path for _, path in changes})
                except Exception:
                    log.exception("handling changes in %s failed", self.root)
        except (FileNotFoundError, RuntimeError) as exc:
            # The project folder was deleted or renamed under us: nothing left to watch.
            log.info("stopped watching %s: %s", self.root, exc)
        finally:
            self._ready.set()
