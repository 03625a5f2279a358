"""Running the real studio server and driving it with Chromium (Playwright).

Shared by the browser tests and the studio benchmark.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

__all__ = [
    "CHROMIUM_ARGS",
    "DEEP_QUERY_JS",
    "StudioServer",
    "artifacts_dir",
    "launch_chromium",
    "wait_for",
]

ROOT = Path(__file__).resolve().parents[2]

#: Flags for Debian's chromium in containers: no sandbox, no GPU, no network chatter.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Installs `window.auteurDeep(selector)`: the first match, looking inside every shadow root.
DEEP_QUERY_JS = """
() => {
  window.auteurDeep = (selector, root = document) => {
    const found = root.querySelector(selector);
    if (found) return found;
    for (const el of root.querySelectorAll("*")) {
      if (el.shadowRoot) {
        const inner = window.auteurDeep(selector, el.shadowRoot);
        if (inner) return inner;
      }
    }
    return null;
  };
}
"""


def artifacts_dir() -> Path:
    """Where screenshots go: $AUTEUR_TEST_ARTIFACTS, else ``artifacts/ui`` in the repository."""
    base = os.environ.get("AUTEUR_TEST_ARTIFACTS")
    folder = Path(base) if base else ROOT / "artifacts" / "ui"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def launch_chromium(playwright, executable: str):
    """Start headless Chromium from the system (never a downloaded one)."""
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


def wait_for(condition, timeout: float = 10.0, interval: float = 0.01, what: str = "condition"):
    """Poll `condition()` until it returns something true; return it, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


class StudioServer:
    """`auteur studio` in a subprocess on 127.0.0.1 and a free port, stopped on exit."""

    def __init__(
        self, workspace: Path, *, demo: bool = False, extra_env: dict[str, str] | None = None
    ) -> None:
        self.workspace = Path(workspace)
        self.demo = demo
        self.url = ""
        self.output: list[str] = []
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTEUR_")}
        env.update(
            {
                # Private ports: several servers (and developers) share this machine.
                "AUTEUR_RENDER_DASHBOARD_ADDRESS": "127.0.0.1:0",
                "AUTEUR_RENDER_GPUS": "0",
                "AUTEUR_RENDER_CPU_WORKERS": "1",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(extra_env or {})
        self._env = env
        self._process: subprocess.Popen[str] | None = None
        self._ready = threading.Event()

    def start(self, timeout: float = 90.0) -> StudioServer:
        command = [sys.executable, "-m", "auteur.cli.studio", "--workspace", str(self.workspace)]
        command += ["--address", "127.0.0.1", "--port", "0"]
        command += ["--demo"] if self.demo else ["--no-demo"]
        self._process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self._env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        if not self._ready.wait(timeout) or not self.url:
            self.stop()
            raise RuntimeError("the studio did not start:\n" + self.log())
        return self

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            self.output.append(line.rstrip())
            if "is running at " in line and not self.url:
                self.url = line.split("is running at ", 1)[1].split()[0]
                self._ready.set()
        self._ready.set()  # the process ended

    def log(self) -> str:
        return "\n".join(self.output[-200:])

    def url_for(self, folder: str) -> str:
        """The link that opens project `folder` directly."""
        return f"{self.url}?project={quote(folder)}"

    def stop(self) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> StudioServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
