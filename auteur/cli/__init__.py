"""The `auteur` command."""

import os

# GitPython refuses to be imported when git is missing; let `auteur doctor` and the commands
# report that clearly instead (GitPython then fails only when git is actually used).
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

from .main import app, main

__all__ = ["app", "main"]
