"""The notebook face of a project: cards, studio panes and renders with live progress."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model import Character, Take, shot_code
from ..storage import ProjectStore
from ..storage import Workspace as _StorageWorkspace
from ._cards import character_card, project_card, register_formatters, takes_table
from ._progress import RenderProgress

if TYPE_CHECKING:
    from ..render import RenderCluster, RenderHandle, RenderService

__all__ = ["Film", "TakeList", "Workspace"]

#: Panel extensions the studio's views need in a notebook; `inline` keeps it offline.
PANEL_EXTENSIONS = ("modal", "jsoneditor")


def panel_extension() -> None:
    """Load Panel's JavaScript into the notebook from the package itself (no CDN)."""
    import panel as pn

    pn.extension(*PANEL_EXTENSIONS, inline=True)


class TakeList(list):
    """Takes, shown in a notebook as a table with their pictures."""

    def __init__(self, store: ProjectStore, takes: list[tuple[str, Take]]) -> None:
        super().__init__(take for _, take in takes)
        self.store = store
        self.codes = [code for code, _ in takes]

    def rows(self) -> list[dict[str, Any]]:
        """One plain dict per take: shot code, number, pipeline, quality, seed and file."""
        return [
            {
                "shot": code,
                "take": take.number,
                "pipeline": take.recipe.pipeline_id,
                "quality": take.recipe.quality.value if take.recipe.quality else "",
                "seed": take.recipe.seed,
                "path": take.path,
            }
            for code, take in zip(self.codes, self, strict=True)
        ]

    def __repr__(self) -> str:
        names = ", ".join(f"{c} take{t.number:02d}" for c, t in zip(self.codes, self, strict=True))
        return f"<TakeList [{names}]>"

    def _repr_html_(self) -> str:
        if not self:
            return "<i>No take.</i>"
        return takes_table(list(zip(self.codes, self, strict=True)), self.store)


class Film(ProjectStore):
    """A project opened from a notebook: a `ProjectStore` with rich displays, studio panes and
    renders. ``ws = auteur.Workspace(); film = ws.open("My Film")``."""

    workspace: Workspace | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._render_lock = threading.Lock()
        self._cluster: RenderCluster | None = None
        self._service: RenderService | None = None
        self._session: Any = None

    def _repr_html_(self) -> str:
        return project_card(self.project, self.path)

    # ------------------------------------------------------------ finding things

    def item(self, address: str) -> Any:
        """The chapter, scene or shot at `address` (``1``, ``1/2``, ``1/2/3`` or an id)."""
        return self.locate(address).item

    def character(self, ref: str) -> Character:
        """A character by name or id."""
        for character in self.project.assets.characters:
            if ref in (character.asset_id, character.name):
                return character
        raise LookupError(f"no character {ref!r} in {self.project.name!r}")

    def character_card(self, ref: str) -> Any:
        """The card of a character, for display."""
        from IPython.display import HTML

        return HTML(character_card(self.character(ref)))

    def takes_of(self, address: str | None = None) -> TakeList:
        """Every take of a shot, scene or chapter (of the whole project when None)."""
        rows = []
        for _, scene, shot in self._shots(address):
            code = shot_code(scene, shot)
            rows += [(code, take) for take in shot.takes]
        return TakeList(self, rows)

    def _shots(self, address: str | None) -> list[tuple[Any, Any, Any]]:
        shots = list(self.iter_shots())
        if address is None:
            return shots
        found = self.locate(address)
        wanted = {found.shot.id} if found.shot else None
        if wanted is None and found.scene is not None:
            wanted = {s.id for s in found.scene.shots}
        if wanted is None:
            wanted = {s.id for sc in found.chapter.scenes for s in sc.shots}
        return [row for row in shots if row[2].id in wanted]

    # ------------------------------------------------------------ the studio

    def session(self) -> Any:
        """The studio session the panes of this notebook share (made on first use)."""
        if self._session is None:
            from ..ui.engine import RenderEngine
            from ..ui.session import StudioSession

            workspace = self.workspace or Workspace(self.path.parent.parent, self.settings)
            self._session = StudioSession(workspace, engine=RenderEngine(self.settings))
            self._session.show(self)
        return self._session

    def studio(self) -> Any:
        """The three-pane studio showing this project."""
        panel_extension()
        from ._studio import NotebookStudio

        session = self.session()
        studio = NotebookStudio(session.workspace, session=session, engine=session.engine)
        session.show(self)  # the new studio hears the project open and shows its panes
        return studio

    def _pane(self, name: str, **params: Any) -> Any:
        panel_extension()
        import importlib

        module, attr = _PANES[name]
        return getattr(importlib.import_module(module), attr)(session=self.session(), **params)

    def browser(self) -> Any:
        """The project browser: chapters, scenes, shots and takes."""
        return self._pane("browser")

    def inspector(self) -> Any:
        """The inspector of the selected item."""
        return self._pane("inspector")

    def progress(self) -> Any:
        """Running renders, their history and the notifications."""
        return self._pane("progress")

    def scene_view(self, scene: str | None = None) -> Any:
        """The storyboard of a scene (the first one by default)."""
        view = self._pane("scene_view")
        if scene is not None:
            self.session().select(self.locate(scene, "scene").scene.id)
        return view

    def character_sheet(self, ref: str) -> Any:
        """The character sheet of a character (by name or id)."""
        character = self.character(ref)
        self.session().select(character.asset_id)
        return self._pane("character_sheet", asset_id=character.asset_id)

    def take_strip(self, shot: str) -> Any:
        """The takes of a shot as a strip, with "set active" (a Jupyter widget)."""
        from .take_strip import TakeStrip

        return TakeStrip.for_shot(self, shot)

    def select(self, ident: str) -> None:
        """Select an item (by address or id) in every pane of this notebook."""
        session = self.session()
        with contextlib.suppress(LookupError):
            ident = self.locate(ident).item.id
        session.select(ident)

    # ------------------------------------------------------------ rendering

    def cluster(self) -> RenderCluster:
        """The Dask cluster renders run on: ``settings.scheduler``, or an embedded one."""
        with self._render_lock:
            if self._cluster is None:
                from ..render import RenderCluster

                self._cluster = RenderCluster.start(self.settings)
            return self._cluster

    def render_service(self) -> RenderService:
        """The render service of this project (started on first use)."""
        cluster = self.cluster()
        with self._render_lock:
            if self._service is None:
                from ..render import RenderService

                self._service = RenderService(self, cluster=cluster)
            return self._service

    def _submit(
        self, target: str | None, quality: str | None, seed: int | None
    ) -> tuple[RenderService, list[RenderHandle], dict[str, str]]:
        shots = self._shots(target)
        if not shots:
            raise LookupError(f"nothing to render in {target or self.project.name!r}: no shot")
        service = self.render_service()
        handles = service.submit_shots(
            [shot.id for _, _, shot in shots], quality=quality, seed=seed
        )
        codes = {shot.id: shot_code(scene, shot) for _, scene, shot in shots}
        labels = {h.job_id: codes.get(h.status.shot_id, h.job_id) for h in handles}
        return service, handles, labels

    def render(
        self,
        target: str | None = None,
        *,
        quality: str | None = None,
        seed: int | None = None,
        timeout: float | None = None,
        progress: bool = True,
    ) -> TakeList:
        """Render a shot, scene or chapter (the whole project when None); return the new takes.

        Blocks until every job ended, showing live progress; raises `RenderError` naming the
        shots that failed.
        """
        service, handles, labels = self._submit(target, quality, seed)
        view = RenderProgress(labels, show=progress)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                statuses = service.wait(handles, timeout=0.25)
                break
            except TimeoutError:
                view.update([h.status for h in handles])
                if deadline is not None and time.monotonic() > deadline:
                    service.cancel_many(h.job_id for h in handles)
                    raise TimeoutError(f"renders still running after {timeout} s") from None
        view.update(statuses)
        return self._collect(service, statuses, labels)

    async def render_async(
        self,
        target: str | None = None,
        *,
        quality: str | None = None,
        seed: int | None = None,
        progress: bool = True,
    ) -> TakeList:
        """Like `render`, without blocking the notebook: ``takes = await film.render_async()``."""
        service, handles, labels = await asyncio.to_thread(self._submit, target, quality, seed)
        view = RenderProgress(labels, show=progress)
        while True:
            statuses = [h.status for h in handles]
            view.update(statuses)
            if all(s.done for s in statuses):
                break
            await asyncio.sleep(0.25)
        statuses = await asyncio.to_thread(service.wait, handles)
        return self._collect(service, statuses, labels)

    def _collect(
        self, service: RenderService, statuses: list[Any], labels: dict[str, str]
    ) -> TakeList:
        from ..render import RenderError

        failed = [s for s in statuses if s.state != "succeeded"]
        if failed:
            problems = "; ".join(f"{labels[s.job_id]}: {s.state} {s.error or ''}" for s in failed)
            raise RenderError(f"{len(failed)} of {len(statuses)} render(s) failed: {problems}")
        self.refresh()
        return TakeList(
            self,
            [(labels[s.job_id], take) for s in statuses for take in service.takes(s.job_id)],
        )

    def close(self) -> None:
        """Stop this project's renders, its cluster (if embedded) and its studio session."""
        with self._render_lock:
            service, self._service = self._service, None
            cluster, self._cluster = self._cluster, None
        if service is not None:
            service.close()
        if cluster is not None:
            cluster.close()
        if self._session is not None:
            self._session.close_project()
            self._session = None


_PANES = {
    "browser": ("auteur.ui.browser", "ProjectBrowser"),
    "inspector": ("auteur.ui.inspector", "Inspector"),
    "progress": ("auteur.ui.progress", "ProgressArea"),
    "scene_view": ("auteur.ui.scene_view", "SceneView"),
    "character_sheet": ("auteur.ui.character_sheet", "CharacterSheet"),
}


class Workspace(_StorageWorkspace):
    """A workspace whose projects open as `Film` objects, with rich displays in notebooks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        register_formatters()

    def open(self, project: str | Path) -> Film:
        """Open a project by name or folder."""
        film = Film.open(self.resolve(project), self.settings, self.bus)
        assert isinstance(film, Film)
        film.workspace = self
        return film

    def create_project(self, name: str, quality: Any = None, structure: Any = None) -> Film:
        """Create a project (see `auteur.storage.Workspace.create_project`) and open it."""
        store = super().create_project(name, quality, structure)
        return self.open(store.path)

    def open_or_create(self, name: str, quality: Any = None, structure: Any = None) -> Film:
        """Open project `name`, creating it first when the workspace has none of that name."""
        names = {p.name for p in self.list_projects(with_status=False)}
        if name in names:
            return self.open(name)
        return self.create_project(name, quality, structure)

    def _repr_html_(self) -> str:
        import html

        rows = "".join(
            f"<li>{html.escape(p.name)}</li>" for p in self.list_projects(with_status=False)
        )
        rows = rows or "<li><i>no project yet</i></li>"
        root = html.escape(str(self.root))
        return f"<div class='auteur-card'><b>Workspace</b> {root}<ul>{rows}</ul></div>"
