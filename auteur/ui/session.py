"""One studio session: the workspace, the open project, the selection, and how views hear of
changes, whichever thread or process made them."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import panel as pn
import param
from panel.io.state import set_curdoc
from pydantic import ValidationError

from ..model import Chapter, Scene, Shot, describe_validation_error, shot_code
from ..storage import ProjectStore, Workspace
from .live import ProjectWatcher
from .tasks import TASK_EVENTS, TaskTracker

__all__ = ["Selection", "StudioSession", "describe_error"]

log = logging.getLogger(__name__)

#: Kinds of asset, by the manifest key that lists them.
ASSET_GROUPS = ("characters", "locations", "styles", "music")
#: How long a task's last progress stays on screen when its end arrives in the same tick.
PROGRESS_SHOWN_MS = 200
_TASK_ENDS = ("task_success", "task_failed")


def _first_end_after_progress(events: list[Any]) -> int:
    """Where the first task end comes whose task also made progress earlier in `events`
    (their number when none does)."""
    moving: set[str] = set()
    for index, event in enumerate(events):
        task = getattr(event, "task_id", None)
        if event.type == "task_progress":
            moving.add(task)
        elif event.type in _TASK_ENDS and task in moving:
            return index
    return len(events)


def describe_error(exc: BaseException) -> str:
    """One line saying what went wrong, for a toast or an inline message."""
    if isinstance(exc, ValidationError):
        return "; ".join(describe_validation_error(exc))
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.strerror}: {exc.filename}"
    text = str(exc).strip() or type(exc).__name__
    return text.replace("\n  - ", "; ").replace("\n", " ")


@dataclass(frozen=True)
class Selection:
    """What an id names in the open project, with its parents."""

    kind: str  # project, chapter, scene, shot, take or asset
    item: Any
    chapter: Chapter | None = None
    scene: Scene | None = None
    shot: Shot | None = None
    category: str = ""  # for assets: characters, locations, styles or music

    @property
    def id(self) -> str:
        return getattr(self.item, "id", None) or getattr(self.item, "asset_id", "")

    @property
    def address(self) -> str:
        """`CH/SC/SH` for chapters, scenes and shots; empty otherwise."""
        parts = [self.chapter, self.scene, self.shot]
        return "/".join(str(p.number) for p in parts if p is not None)

    @property
    def title(self) -> str:
        """A short human name: the shot code, `1.2 Title`, the take name..."""
        item = self.item
        if self.kind == "project":
            return item.name
        if self.kind == "chapter":
            return f"Chapter {item.number}: {item.title}"
        if self.kind == "scene":
            return f"Scene {self.chapter.number}.{item.number}: {item.title}"
        if self.kind == "shot":
            return shot_code(self.scene, item)
        if self.kind == "take":
            return f"{shot_code(self.scene, self.shot)} take{item.number:02d}"
        return f"{item.asset_type}: {item.name}"


class StudioSession(param.Parameterized):
    """The state one browser tab (or notebook cell) shares between its views.

    Views read the project through `store` and change it through its commands. They follow
    `revision`, which goes up whenever the project they show changed, whoever changed it.
    """

    workspace = param.ClassSelector(class_=Workspace, doc="The workspace the gallery lists.")
    store = param.ClassSelector(
        class_=ProjectStore, allow_None=True, doc="The open project, or None in the gallery."
    )
    selected = param.String(default="", doc="Id of the selected item (project, shot, take...).")
    scene = param.String(default="", doc="Id of the scene the scene view shows.")
    revision = param.Integer(default=0, doc="Goes up whenever the open project changed.")
    files = param.Integer(default=0, doc="Goes up whenever files of the open project changed.")
    projects = param.Integer(default=0, doc="Goes up whenever projects were created or deleted.")
    engine = param.Parameter(default=None, doc="The render engine (a RenderEngine), if any.")
    render = param.Parameter(default=None, doc="The open project's render service, once used.")
    tasks = param.ClassSelector(class_=TaskTracker, doc="The session's render tasks.")
    messages = param.List(default=[], doc="The session's notifications, newest last.")
    expand_progress = param.Event(doc="Asks the layout to show the progress area.")

    def __init__(self, workspace: Workspace, **params: Any) -> None:
        params.setdefault("tasks", TaskTracker())
        super().__init__(workspace=workspace, **params)
        self._doc = pn.state.curdoc
        # The thread that runs the session's document: the server's, which builds sessions.
        self._doc_thread = threading.get_ident()
        self._lock = threading.Lock()
        self._sync_pending = False
        self._files_pending = False
        self._task_events: list[Any] = []
        self._seen: tuple[int, int] | None = None
        self._index: dict[str, Selection] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._watcher: ProjectWatcher | None = None
        self._last_error = ""
        self._render_lock = threading.Lock()
        self._services: dict[int, Any] = {}
        if self._doc is not None and self._doc.session_context is not None:
            pn.state.on_session_destroyed(self._on_destroyed)

    # ------------------------------------------------------------ threads

    def call_soon(self, callback: Callable[[], None]) -> None:
        """Run `callback` where it may change the views: now on the session's own thread,
        else on the session's document at its next tick."""
        doc = self._doc
        if doc is None or doc.session_context is None:
            callback()
            return
        # Not `pn.state.curdoc` alone: Bokeh shows the document a callback is running on to
        # every thread, so a render thread would take it for its own and race the session.
        if threading.get_ident() == self._doc_thread and pn.state.curdoc is doc:
            callback()
            return
        with set_curdoc(doc):
            pn.state.execute(callback, schedule=True)

    # ------------------------------------------------------------ notifications

    def notify(self, level: str, message: str, duration: int = 4000) -> None:
        """Show a toast (`info`, `success`, `warning` or `error`) and keep it in the history."""
        self.messages = [*self.messages[-49:], (level, message)]
        notifications = pn.state.notifications
        if notifications is not None:
            duration = 0 if level == "error" else duration  # errors stay until dismissed
            getattr(notifications, level)(message, duration=duration)

    def report(self, what: str, exc: BaseException) -> None:
        """Tell the user that `what` failed, and why."""
        if not isinstance(exc, ValueError | LookupError | OSError | RuntimeError):
            log.exception("%s failed", what)
        self.notify("error", f"{what} failed: {describe_error(exc)}")

    @contextlib.contextmanager
    def reporting(self, what: str) -> Iterator[None]:
        """Run a user action; a failure becomes an error toast, never a traceback."""
        try:
            yield
        except Exception as exc:
            self.report(what, exc)

    # ------------------------------------------------------------ projects

    def open_project(self, project: str | Path) -> ProjectStore:
        """Open a project of the workspace and show it."""
        store = self.workspace.open(project)
        self.show(store)
        return store

    def show(self, store: ProjectStore) -> None:
        """Show an open project: follow its events and its files."""
        self.close_project()
        self._unsubscribe = store.bus.subscribe(self._on_event)
        settings = store.settings
        self._watcher = ProjectWatcher(
            store.path,
            self._on_files_changed,
            debounce_ms=settings.studio_watch_debounce_ms,
            step_ms=settings.studio_watch_step_ms,
        ).start()
        self._seen = (store.revision, id(store.project))
        self._index = None
        first_scene = next((s.id for c in store.project.narrative.chapters for s in c.scenes), "")
        with pn.io.hold():
            self.param.update(store=store, selected=store.project.id, scene=first_scene)
            self.revision += 1

    def close_project(self) -> None:
        """Stop following the open project and go back to the gallery."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._watcher is not None:
            self._watcher.stop(wait=0)  # it ends by itself within its polling timeout
            self._watcher = None
        self._close_render()
        if self.store is not None:
            self._index = None
            self.param.update(store=None, selected="", scene="")

    def _on_destroyed(self, session_context: Any) -> None:
        # The page and its views are gone: let go of the project without redrawing them.
        with param.parameterized.discard_events(self):
            self.close_project()

    # ------------------------------------------------------------ finding things

    def index(self) -> dict[str, Selection]:
        """Every item of the open project by id. Built once per revision."""
        store = self.store
        if store is None:
            return {}
        if self._index is None:
            project = store.project
            found: dict[str, Selection] = {project.id: Selection("project", project)}
            for chapter in project.narrative.chapters:
                found[chapter.id] = Selection("chapter", chapter, chapter)
                for scene in chapter.scenes:
                    found[scene.id] = Selection("scene", scene, chapter, scene)
                    for shot in scene.shots:
                        found[shot.id] = Selection("shot", shot, chapter, scene, shot)
                        for take in shot.takes:
                            found[take.id] = Selection("take", take, chapter, scene, shot)
            for group in ASSET_GROUPS:
                for asset in getattr(project.assets, group):
                    found[asset.asset_id] = Selection("asset", asset, category=group)
            self._index = found
        return self._index

    def find(self, ident: str) -> Selection | None:
        """What `ident` names in the open project, or None."""
        return self.index().get(ident) if ident else None

    @property
    def selection(self) -> Selection | None:
        return self.find(self.selected)

    def select(self, ident: str) -> None:
        """Select an item, and show its scene in the scene view."""
        found = self.find(ident)
        if found is None:
            return
        with pn.io.hold():
            if found.scene is not None and found.scene.id != self.scene:
                self.scene = found.scene.id
            elif found.kind == "chapter" and found.item.scenes and not self._scene_in(found.item):
                self.scene = found.item.scenes[0].id
            self.selected = ident

    def _scene_in(self, chapter: Chapter) -> bool:
        return any(s.id == self.scene for s in chapter.scenes)

    # ------------------------------------------------------------ keeping up with changes

    def sync(self) -> bool:
        """Catch up with the project's files and update the views; True if anything changed."""
        store = self.store
        if store is None:
            return False
        try:
            changed = store.refresh()
        except Exception as exc:
            # A hand edit can leave a file half-written or invalid; keep showing the last state.
            message = describe_error(exc)
            if message != self._last_error:
                self._last_error = message
                self.notify("error", f"Could not read the project's files: {message}")
            return False
        self._last_error = ""
        seen = (store.revision, id(store.project))
        if not changed and seen == self._seen:
            return False
        self._seen = seen
        self._index = None
        with pn.io.hold():
            self._keep_selection()
            self.revision += 1
        return True

    def _keep_selection(self) -> None:
        index = self.index()
        if self.selected not in index:
            self.selected = self.store.project.id if self.store else ""
        if self.scene and self.scene not in index:
            self.scene = next(
                (s.id for c in self.store.project.narrative.chapters for s in c.scenes), ""
            )

    def request_sync(self) -> None:
        """Ask for a `sync` from any thread; requests made before it runs are merged."""
        with self._lock:
            if self._sync_pending:
                return
            self._sync_pending = True
        self.call_soon(self._run_sync)

    def _run_sync(self) -> None:
        with self._lock:
            self._sync_pending = False
        self.sync()

    def _on_files_changed(self, paths: set[str]) -> None:
        with self._lock:
            pending, self._files_pending = self._files_pending, True
        if not pending:
            self.call_soon(self._run_files_changed)

    def _run_files_changed(self) -> None:
        with self._lock:
            self._files_pending = False
        self.sync()
        self.files += 1

    def _on_event(self, event: Any) -> None:
        if event.type in TASK_EVENTS:
            with self._lock:
                self._task_events.append(event)
                first = len(self._task_events) == 1
            if first:
                self.call_soon(self._drain_task_events)
            return
        if event.type in ("selection_change", "panel_resize"):
            return
        self.request_sync()

    def _drain_task_events(self) -> None:
        with self._lock:
            events, self._task_events = self._task_events, []
        while events:
            # A task that finished between two ticks would jump from its start straight to
            # done: its last progress shows first and its end a moment later.
            cut = _first_end_after_progress(events)
            with pn.io.hold():
                for event in events[:cut]:
                    self._apply_task_event(event)
            events = events[cut:]
            doc = self._doc
            if events and doc is not None and doc.session_context is not None:
                with self._lock:
                    self._task_events[:0] = events  # later events wait behind these
                doc.add_timeout_callback(self._drain_task_events, PROGRESS_SHOWN_MS)
                return

    def _apply_task_event(self, event: Any) -> None:
        node = getattr(event, "node_id", None)
        found = self.find(node) if node else None
        label = found.title if found is not None else (node or "")
        info = self.tasks.handle(event, label)
        if info is None:
            return
        if event.type == "start_generation":
            self.expand_progress = True
        elif event.type == "task_success":
            self.notify("success", f"{info.label or 'Task'} finished")
            self.request_sync()
        elif event.type == "task_failed" and info.status == "cancelled":
            self.notify("warning", f"{info.label or 'Task'} cancelled")
        elif event.type == "task_failed":
            self.notify("error", f"{info.label or 'Task'} failed: {info.error}")

    # ------------------------------------------------------------ undo and redo

    def undo(self) -> None:
        """Undo the session's last edit."""
        self._travel("undo")

    def redo(self) -> None:
        """Redo the last undone edit."""
        self._travel("redo")

    def _travel(self, action: str) -> None:
        store = self.store
        if store is None:
            return
        with self.reporting(action.capitalize()):
            label = store.undo() if action == "undo" else store.redo()
            if label is None:
                self.notify("info", f"Nothing to {action}")
            else:
                self.notify("info", f"{action.capitalize()}: {label.strip()}", duration=2000)
            self.sync()

    # ------------------------------------------------------------ rendering

    def generate(self, shot_id: str, quality: str = "") -> None:
        """Render a new take of a shot in the background; progress arrives as events."""
        found = self.find(shot_id)
        store = self.store
        if found is None or found.kind != "shot" or store is None:
            return
        if self.engine is None:
            self.notify("error", f"Generating {found.title} failed: no render engine is set up")
            return
        label = found.title
        placeholder = f"submitting:{shot_id}"
        self.tasks.start(placeholder, shot_id, label, step="starting the render engine")
        self.expand_progress = True

        def submit() -> None:
            try:
                service = self.render_service(store)
                handle = service.submit(shot_id, quality=quality or None)
            except Exception as exc:
                error = exc
                self.call_soon(lambda: self._submit_failed(placeholder, label, error))
                return
            self.call_soon(lambda: self.tasks.rename(placeholder, handle.job_id))

        threading.Thread(target=submit, name="auteur-submit", daemon=True).start()

    def generate_character(self, asset_id: str, kind: str = "face", name: str = "") -> None:
        """Render a character's base face (`kind` ``face``) or a variation in the background;
        the picture is filed on the character when it arrives."""
        found = self.find(asset_id)
        store = self.store
        if found is None or found.kind != "asset" or store is None:
            return
        what = "base face" if kind == "face" else f"{kind} {name}".strip()
        label = f"{found.item.name}: {what}"
        if self.engine is None:
            self.notify("error", f"Generating {label} failed: no render engine is set up")
            return
        placeholder = f"submitting:{asset_id}:{kind}:{name}"
        self.tasks.start(placeholder, asset_id, label, step="starting the render engine")
        self.expand_progress = True

        def submit() -> None:
            try:
                service = self.render_service(store)
                handle = service.submit_character(asset_id, kind=kind, name=name)
            except Exception as exc:
                error = exc
                self.call_soon(lambda: self._submit_failed(placeholder, label, error))
                return
            self.call_soon(lambda: self.tasks.rename(placeholder, handle.job_id))

        threading.Thread(target=submit, name="auteur-submit", daemon=True).start()

    def train_lora(self, asset_id: str) -> None:
        """Train a LoRA for a character in the background; its progress arrives as
        `character_lora_status` events and the trained file is filed on the character."""
        found = self.find(asset_id)
        store = self.store
        if found is None or found.kind != "asset" or store is None:
            return
        name = found.item.name
        if self.engine is None:
            self.notify("error", f"Training {name}'s LoRA failed: no render engine is set up")
            return
        engine = self.engine
        self.notify("info", f"Training a LoRA for {name}…", duration=3000)

        def train() -> None:
            try:
                from ..render.training import train_character_lora  # loads the ML stack

                train_character_lora(store, asset_id, cluster=engine.cluster())
            except Exception as exc:
                error = exc
                self.call_soon(lambda: self.report(f"Training {name}'s LoRA", error))
                return
            self.call_soon(lambda: self.notify("success", f"{name}'s LoRA is trained"))

        threading.Thread(target=train, name="auteur-train", daemon=True).start()

    def _submit_failed(self, placeholder: str, label: str, exc: BaseException) -> None:
        self.tasks.fail(placeholder, describe_error(exc))
        self.report(f"Generating {label}", exc)

    def render_service(self, store: ProjectStore) -> Any:
        """The render service of `store` for this session, started on first use."""
        with self._render_lock:
            service = self._services.get(id(store))
            if service is None:
                service = self.engine.service(store)
                self._services[id(store)] = service
                self.call_soon(lambda: self.param.update(render=service))
            return service

    def cancel(self, task_id: str) -> None:
        """Stop a running render."""
        service = self.render
        if not task_id or service is None or task_id.startswith("submitting:"):
            return
        with self.reporting("Cancelling"):
            service.cancel(task_id)

    def _close_render(self) -> None:
        with self._render_lock:
            services, self._services = list(self._services.values()), {}
        if self.render is not None:
            self.render = None
        for service in services:
            # Closing waits for the service's threads: never on the thread that draws the page.
            threading.Thread(target=service.close, name="auteur-render-close", daemon=True).start()
