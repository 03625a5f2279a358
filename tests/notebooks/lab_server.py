"""Running `auteur lab` (a real JupyterLab) for the tests."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["LabServer", "free_port"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """`auteur lab` on 127.0.0.1 and a free port, with a known token."""

    def __init__(self, notebooks: Path, workspace: Path, env: dict[str, str]) -> None:
        self.notebooks = notebooks
        self.workspace = workspace
        self.env = env
        self.port = free_port()
        self.token = "auteur-test-token"
        self.output: list[str] = []
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> LabServer:
        argv = [
            sys.executable, "-m", "auteur", "lab", "-w", str(self.workspace),
            "--port", str(self.port), "--token", self.token,
            "--notebook-dir", str(self.notebooks),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            argv,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("auteur lab exited:\n" + "\n".join(self.output))
            try:
                self.get("/api/status")
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("auteur lab did not start:\n" + "\n".join(self.output))

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip())

    def get(self, path: str) -> dict:
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read() or b"{}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # JupyterLab shuts its kernels down on SIGTERM
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process is not None and self.process.stdout is not None:
            self._reader.join(5)  # it ends at the output's end, now that the process is gone
            self.process.stdout.close()
