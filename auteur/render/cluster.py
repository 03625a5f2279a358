"""The Dask cluster renders run on: an embedded local cluster, or one reached by address."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
from dataclasses import dataclass, field
from typing import Any

import dask
import psutil
from distributed import Client, LocalCluster, Nanny

from ..config import Settings, load_settings

__all__ = [
    "ClusterError",
    "RenderCluster",
    "WorkerInfo",
    "WorkerSpec",
    "detect_gpus",
    "gpu_ids",
    "local_worker_specs",
    "serve_workers",
]


class ClusterError(RuntimeError):
    """The cluster could not be started or reached."""


@dataclass(frozen=True)
class WorkerSpec:
    """One worker process to start: its name, threads, resources and environment."""

    name: str
    nthreads: int = 1
    resources: dict[str, float] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkerInfo:
    """A worker of the cluster, as the studio shows it."""

    address: str
    name: str
    nthreads: int
    resources: dict[str, float]


def detect_gpus() -> list[str]:
    """Ids of the NVIDIA GPUs this machine shows (honouring CUDA_VISIBLE_DEVICES)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [d.strip() for d in visible.split(",") if d.strip() and d.strip() != "-1"]
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        out = subprocess.run(
            [smi, "--list-gpus"], capture_output=True, text=True, timeout=20, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i, line in enumerate(out.splitlines()) if line.startswith("GPU ")]


def gpu_ids(settings: Settings) -> list[str]:
    """The GPUs local workers use: ``render_gpus`` of them if set, else those detected."""
    if settings.render_gpus is None:
        return detect_gpus()
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    ids = [d.strip() for d in visible.split(",")] if visible else []
    ids += [str(i) for i in range(settings.render_gpus) if str(i) not in ids]
    return ids[: settings.render_gpus]


def local_worker_specs(settings: Settings, gpus: list[str] | None = None) -> list[WorkerSpec]:
    """One worker per GPU (tagged ``GPU=1`` and pinned to it), then the CPU workers."""
    gpus = gpu_ids(settings) if gpus is None else gpus
    count = len(gpus) + settings.render_cpu_workers
    threads = settings.render_worker_threads or max(1, (os.cpu_count() or 1) // max(1, count))
    specs = [
        WorkerSpec(
            name=f"gpu-{gpu}",
            nthreads=threads,
            resources={"GPU": 1},
            env={"CUDA_VISIBLE_DEVICES": gpu},
        )
        for gpu in gpus
    ]
    specs += [
        WorkerSpec(name=f"cpu-{i}", nthreads=threads) for i in range(settings.render_cpu_workers)
    ]
    return specs


class RenderCluster:
    """A Dask client for renders, with the local cluster it started (if any).

    ``RenderCluster.start(settings)`` connects to ``settings.scheduler`` (``AUTEUR_SCHEDULER``)
    when it is set, and otherwise starts an embedded `LocalCluster` of worker processes.
    """

    def __init__(self, client: Client, cluster: LocalCluster | None = None) -> None:
        self.client = client
        self.cluster = cluster

    @classmethod
    def start(
        cls,
        settings: Settings | None = None,
        *,
        scheduler: str | None = None,
        workers: list[WorkerSpec] | None = None,
    ) -> RenderCluster:
        """Connect to `scheduler` (or the settings' one), or start the embedded cluster."""
        settings = settings or load_settings()
        address = scheduler or settings.scheduler
        if address:
            try:
                client = Client(address, timeout=settings.render_start_timeout)
            except OSError as exc:
                raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
            return cls(client)
        return cls._start_local(settings, workers or local_worker_specs(settings))

    @classmethod
    def _start_local(cls, settings: Settings, specs: list[WorkerSpec]) -> RenderCluster:
        if not specs:
            raise ClusterError("the embedded cluster has no workers: no GPU and no CPU workers")
        config = {"distributed.scheduler.allowed-failures": settings.render_allowed_failures}
        dashboard = settings.render_dashboard_address
        with dask.config.set(config):
            cluster = LocalCluster(
                n_workers=0,
                processes=True,
                host="127.0.0.1",
                dashboard_address=dashboard or None,
                # Without a dashboard the scheduler still serves health checks over HTTP: on a
                # free port, never on the dashboard's usual one.
                scheduler_kwargs=None if dashboard else {"dashboard_address": "127.0.0.1:0"},
            )
        try:
            template = cluster.new_spec
            memory = _memory_per_worker(len(specs))
            for spec in specs:
                options = {
                    **template["options"],
                    "name": spec.name,
                    "nthreads": spec.nthreads,
                    "resources": dict(spec.resources),
                    "env": dict(spec.env),
                    "memory_limit": memory,
                }
                cluster.worker_spec[spec.name] = {"cls": template["cls"], "options": options}
            cluster.scale(len(cluster.worker_spec))
            client = Client(cluster)
            client.wait_for_workers(len(specs), timeout=settings.render_start_timeout)
        except BaseException:
            cluster.close()
            raise
        return cls(client, cluster)

    @property
    def address(self) -> str:
        """The scheduler's address."""
        return self.client.scheduler.address

    @property
    def dashboard_link(self) -> str | None:
        """The Dask dashboard's URL, or None when the scheduler serves none."""
        services = self.client.scheduler_info(n_workers=0).get("services") or {}
        if "dashboard" not in services:
            return None
        return self.client.dashboard_link

    def workers(self) -> list[WorkerInfo]:
        """The workers connected now."""
        # Ask the scheduler directly: Client.scheduler_info() returns a cached identity that the
        # client's periodic refresh may replace, between the fetch and the read, with one that
        # lists no workers.
        identity = self.client.sync(self.client.scheduler.identity, n_workers=-1)
        info: dict[str, Any] = identity.get("workers") or {}
        return [
            WorkerInfo(
                address=address,
                name=str(worker.get("name", address)),
                nthreads=int(worker.get("nthreads", 0)),
                resources=dict(worker.get("resources") or {}),
            )
            for address, worker in sorted(info.items())
        ]

    def worker_resources(self) -> list[dict[str, float]]:
        """What each connected worker offers, e.g. ``[{'GPU': 1.0}, {}]``."""
        return [worker.resources for worker in self.workers()]

    def close(self) -> None:
        """Disconnect, and stop the embedded cluster if this started one."""
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()

    def __enter__(self) -> RenderCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = "embedded" if self.cluster is not None else "remote"
        return f"<RenderCluster {kind} {self.address}>"


def _memory_per_worker(count: int) -> int:
    return max(1, psutil.virtual_memory().total // max(1, count))


async def _serve(address: str, specs: list[WorkerSpec], prefix: str) -> None:
    nannies = [
        Nanny(
            address,
            name=f"{prefix}-{spec.name}",
            nthreads=spec.nthreads,
            resources=dict(spec.resources) or None,
            env=dict(spec.env),
            memory_limit=_memory_per_worker(len(specs)),
        )
        for spec in specs
    ]
    await asyncio.gather(*(nanny.start() for nanny in nannies))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(signum, stop.set)
    finished = [asyncio.ensure_future(nanny.finished()) for nanny in nannies]
    waiter = asyncio.ensure_future(stop.wait())
    await asyncio.wait([waiter, *finished], return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    await asyncio.gather(*(nanny.close() for nanny in nannies), return_exceptions=True)


def serve_workers(address: str, specs: list[WorkerSpec], prefix: str | None = None) -> None:
    """Run `specs` as workers of the scheduler at `address` until interrupted (SIGINT/SIGTERM).

    Worker names are ``<prefix>-<spec name>``; the prefix defaults to the host name, so that
    workers of several machines stay apart.
    """
    if not specs:
        raise ClusterError("no workers to start: no GPU found and no CPU workers asked for")
    asyncio.run(_serve(address, specs, prefix or socket.gethostname()))
