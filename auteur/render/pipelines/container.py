"""Container pipelines: an image run through the Docker engine the worker can reach.

The contract between Auteur and an image:

- the job is in ``/job/job.json`` (also named by ``AUTEUR_JOB``): the `RenderJob` fields in
  camelCase, plus ``inputDir`` and ``outputDir``;
- the job's input files are under ``/inputs/<project-relative path>``, read-only;
- the image writes its outputs into ``/out`` (``AUTEUR_OUTPUT``); each file there becomes a take,
  in name order;
- progress is a JSON line on stdout, ``{"progress": 0.4, "step": "denoising 8/20"}``; a line
  ``{"metadata": {...}}`` adds to the outputs' metadata; any other line is a log line;
- exit status 0 means success; anything else fails the job with the last log lines.

The container runs with the network off, as the worker's user, with only the job, inputs and
output folders mounted (plus the read-only mounts its configuration names), and a GPU when the
pipeline holds one. It is killed on cancel or timeout and always removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import docker
from docker.errors import DockerException, ImageNotFound
from docker.types import DeviceRequest

from ...config import load_settings
from ..contract import JobCancelled, JobContext, PipelineError, PipelineOutput, RenderJob

__all__ = ["INPUT_DIR", "JOB_DIR", "OUTPUT_DIR", "ContainerPipeline", "LogReader"]

JOB_DIR = "/job"
INPUT_DIR = "/inputs"
OUTPUT_DIR = "/out"


class LogReader:
    """Splits the container's log chunks into lines: progress, metadata or plain log."""

    def __init__(self, context: JobContext, tail_lines: int) -> None:
        self.context = context
        self.tail: deque[str] = deque(maxlen=tail_lines)
        self.metadata: dict[str, Any] = {}
        self._buffer = b""

    def feed(self, chunk: bytes) -> None:
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            self._line(line.decode("utf-8", "replace").rstrip("\r"))

    def close(self) -> None:
        if self._buffer:
            self._line(self._buffer.decode("utf-8", "replace"))
            self._buffer = b""

    def _line(self, line: str) -> None:
        if line.startswith("{"):
            try:
                message = json.loads(line)
            except ValueError:
                message = None
            if isinstance(message, dict):
                if "progress" in message:
                    try:
                        fraction = float(message["progress"])
                    except (TypeError, ValueError):
                        fraction = None
                    if fraction is not None:
                        self.context.report(fraction, str(message.get("step", "")))
                        return
                if isinstance(message.get("metadata"), dict):
                    self.metadata.update(message["metadata"])
                    return
        if line.strip():
            self.tail.append(line)


def _gpu_request(config_gpus: float) -> list[DeviceRequest]:
    if config_gpus <= 0:
        return []
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible:
        ids = [d.strip() for d in visible.split(",") if d.strip()]
        return [DeviceRequest(device_ids=ids[: int(config_gpus)] or ids, capabilities=[["gpu"]])]
    return [DeviceRequest(count=max(1, int(config_gpus)), capabilities=[["gpu"]])]


class ContainerPipeline:
    """Runs a job's image on the worker's Docker engine (``DOCKER_HOST`` or the default)."""

    def run(self, job: RenderJob, context: JobContext) -> list[PipelineOutput]:
        config = job.pipeline
        if not config.image:
            raise PipelineError(f"pipeline {config.pipeline_id} names no container image")
        settings = load_settings()
        try:
            engine = docker.from_env()
            engine.ping()
        except DockerException as exc:
            raise PipelineError(
                f"this worker cannot reach a Docker engine for {config.image}: {exc}"
            ) from None
        try:
            try:
                engine.images.get(config.image)
            except ImageNotFound:
                raise PipelineError(
                    f"image {config.image} is not on the Docker engine of this worker; build or "
                    "load it there first"
                ) from None
            scratch = settings.render_scratch_dir
            if scratch is not None:
                Path(scratch).mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix=f"auteur-{job.job_id}-", dir=scratch) as tmp:
                return self._run(engine, job, context, Path(tmp), settings.render_log_tail_lines)
        finally:
            engine.close()

    def _prepare(self, job: RenderJob, context: JobContext, root: Path) -> dict[str, dict]:
        job_dir, in_dir, out_dir = root / "job", root / "inputs", root / "out"
        for folder in (job_dir, in_dir, out_dir):
            folder.mkdir()
        for item in job.inputs:
            target = in_dir / item.path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(context.input_path(item.path), target)
        data = job.to_data() | {"inputDir": INPUT_DIR, "outputDir": OUTPUT_DIR}
        (job_dir / "job.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
        volumes = {
            str(job_dir): {"bind": JOB_DIR, "mode": "ro"},
            str(out_dir): {"bind": OUTPUT_DIR, "mode": "rw"},
        }
        if job.inputs:
            volumes[str(in_dir)] = {"bind": INPUT_DIR, "mode": "ro"}
        for source, target in job.pipeline.mounts.items():
            volumes[source] = {"bind": target, "mode": "ro"}
        return volumes

    def _run(
        self, engine: Any, job: RenderJob, context: JobContext, root: Path, tail_lines: int
    ) -> list[PipelineOutput]:
        config = job.pipeline
        volumes = self._prepare(job, context, root)
        context.check_cancelled()
        environment = {
            **config.environment,
            "AUTEUR_JOB": f"{JOB_DIR}/job.json",
            "AUTEUR_INPUTS": INPUT_DIR,
            "AUTEUR_OUTPUT": OUTPUT_DIR,
            "PYTHONUNBUFFERED": "1",
        }
        options: dict[str, Any] = {
            "command": config.command,
            "environment": environment,
            "volumes": volumes,
            "network_mode": "none",
            "init": True,
            "detach": True,
            "labels": {"auteur.job": job.job_id, "auteur.pipeline": config.pipeline_id},
            "device_requests": _gpu_request(config.resources.get("GPU", 0)),
        }
        if hasattr(os, "getuid"):  # outputs belong to the worker, which removes them
            options["user"] = f"{os.getuid()}:{os.getgid()}"
        reader = LogReader(context, tail_lines)
        container = engine.containers.create(config.image, **options)
        try:
            container.start()
            context.report(0.0, f"container {container.short_id} started")
            stopped = self._follow(container, reader, context, config.timeout)
            exit_code = container.wait().get("StatusCode", -1)
        finally:
            with contextlib.suppress(DockerException):
                container.remove(force=True)
        if stopped == "cancelled":
            raise JobCancelled(job.job_id)
        tail = "\n".join(reader.tail) or "(no output)"
        if stopped == "timeout":
            raise PipelineError(
                f"container {config.image} ran past its {config.timeout:g} s limit; last log "
                f"lines:\n{tail}"
            )
        if exit_code != 0:
            raise PipelineError(
                f"container {config.image} exited with status {exit_code}; last log lines:\n{tail}"
            )
        return self._outputs(root / "out", reader.metadata, config.image)

    @staticmethod
    def _follow(
        container: Any, reader: LogReader, context: JobContext, timeout: float | None
    ) -> str:
        """Stream the logs until the container ends; kill it on cancel or timeout."""

        def pump() -> None:
            try:
                for chunk in container.logs(stream=True, follow=True, stdout=True, stderr=True):
                    reader.feed(chunk)
            except DockerException:
                pass  # the container went away; its exit status tells the rest
            reader.close()

        thread = threading.Thread(target=pump, name="auteur-container-logs", daemon=True)
        thread.start()
        deadline = None if timeout is None else time.monotonic() + timeout
        outcome = "exited"
        while thread.is_alive():
            thread.join(0.1)
            if not thread.is_alive():
                break
            if context.cancelled:
                outcome = "cancelled"
            elif deadline is not None and time.monotonic() > deadline:
                outcome = "timeout"
            else:
                continue
            with contextlib.suppress(DockerException):
                container.kill()
            thread.join(10)
            break
        return outcome

    @staticmethod
    def _outputs(out_dir: Path, metadata: dict[str, Any], image: str) -> list[PipelineOutput]:
        files = sorted(p for p in out_dir.iterdir() if p.is_file() and not p.name.startswith("."))
        if not files:
            raise PipelineError(f"container {image} wrote no output into {OUTPUT_DIR}")
        return [
            PipelineOutput(
                data=path.read_bytes(),
                ext=path.suffix.lstrip(".").lower() or "bin",
                metadata={**metadata, "image": image, "file": path.name},
            )
            for path in files
        ]
