"""The render engine of a studio: one Dask cluster shared by every session, started in the
background so that opening the studio never waits for it."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from ..config import Settings

if TYPE_CHECKING:
    from ..render.cluster import RenderCluster
    from ..render.service import RenderService
    from ..storage import ProjectStore

__all__ = ["RenderEngine"]

log = logging.getLogger(__name__)


class RenderEngine:
    """Starts the cluster once (the embedded one, or `settings.scheduler`) and gives each
    session a render service on it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._cluster: RenderCluster | None = None
        self._error: BaseException | None = None
        self._closed = False

    @property
    def started(self) -> bool:
        """True once the cluster is up (or failed to start)."""
        return self._ready.is_set()

    def start(self) -> RenderEngine:
        """Start the cluster in the background, if not started yet."""
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(
                    target=self._start, name="auteur-render-engine", daemon=True
                )
                self._thread.start()
        return self

    def _start(self) -> None:
        try:
            from ..render.cluster import RenderCluster  # Dask loads only when rendering

            cluster = RenderCluster.start(self.settings)
        except BaseException as exc:
            log.warning("the render engine could not start: %s", exc)
            self._error = exc
            self._ready.set()
            return
        with self._lock:
            closed = self._closed
            if not closed:
                self._cluster = cluster
        if closed:  # closed while starting: nobody will use it
            cluster.close()
        self._ready.set()

    def cluster(self) -> RenderCluster:
        """The cluster, waiting for it to start; raises what stopped it from starting."""
        self.start()
        self._ready.wait(self.settings.render_start_timeout + 5)
        with self._lock:
            error = self._error
            if error is not None:
                # The next render tries again: a busy machine or a scheduler not up yet may pass.
                self._error, self._thread = None, None
                self._ready.clear()
        if error is not None:
            raise RuntimeError(f"the render engine could not start: {error}")
        if self._cluster is None:
            raise RuntimeError("the render engine is still starting; try again in a moment")
        return self._cluster

    def service(self, store: ProjectStore) -> RenderService:
        """A render service for `store` on the shared cluster."""
        from ..render.service import RenderService

        return RenderService(store, cluster=self.cluster())

    @property
    def dashboard_link(self) -> str | None:
        """The Dask dashboard, once the cluster is up."""
        if self._cluster is None:
            return None
        try:
            return self._cluster.dashboard_link
        except Exception:  # the scheduler went away
            return None

    def close(self) -> None:
        """Stop the cluster if this engine started it (or have it stop once started)."""
        with self._lock:
            self._closed = True
            cluster, self._cluster = self._cluster, None
        if cluster is not None:
            try:
                cluster.close()
            except Exception as exc:
                log.debug("closing the render cluster: %s", exc)

    def __repr__(self) -> str:
        state = "up" if self._cluster else "failed" if self._error else "starting"
        return f"<RenderEngine {state}>"

    def __enter__(self) -> RenderEngine:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
