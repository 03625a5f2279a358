"""The lock that one project's writers share across threads and processes."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path

from filelock import FileLock
from filelock import Timeout as FileLockTimeout

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["LockTimeout", "ProjectLock"]

_POLL_SECONDS = 0.002


class LockTimeout(TimeoutError):
    """The lock was held elsewhere for longer than the timeout."""


class ProjectLock:
    """An exclusive, re-entrant lock on a lock file, shared with other processes.

    Where the platform has ``flock`` the file stays open between uses, so taking the lock
    costs one system call rather than an open and a close: writers take it for every edit
    and every take. Elsewhere `filelock` does the work.
    """

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._owner = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._pid = 0
        self._fallback = FileLock(self.path, timeout=timeout) if fcntl is None else None

    def __enter__(self) -> ProjectLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock, waiting up to the timeout; raise `LockTimeout` after it."""
        if not self._owner.acquire(timeout=self.timeout):
            raise LockTimeout(f"{self.path} is held by another thread")
        try:
            if self._depth == 0:
                self._lock_file()
            self._depth += 1
        except BaseException:
            self._owner.release()
            raise

    def release(self) -> None:
        """Give the lock back (the file lock goes when the outermost holder releases)."""
        self._depth -= 1
        try:
            if self._depth == 0:
                self._unlock_file()
        finally:
            self._owner.release()

    def _lock_file(self) -> None:
        if self._fallback is not None:
            try:
                self._fallback.acquire()
            except FileLockTimeout:
                raise LockTimeout(str(self.path)) from None
            return
        if self._fd is None or self._pid != os.getpid():
            # A forked child must not share its parent's open file: flock locks belong to it.
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            self._pid = os.getpid()
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(str(self.path)) from None
                time.sleep(_POLL_SECONDS)

    def _unlock_file(self) -> None:
        if self._fallback is not None:
            self._fallback.release()
            return
        assert self._fd is not None
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the lock file (the lock must not be held)."""
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None

    def __del__(self) -> None:
        with contextlib.suppress(OSError):
            self.close()
