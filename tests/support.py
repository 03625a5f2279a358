"""Helpers shared by the tests."""

from __future__ import annotations

import os
import shutil

import pytest

__all__ = ["in_ci", "require_tool"]


def in_ci() -> bool:
    """True under CI, where a missing real part is a failure and never a skip."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tool(name: str, why: str = "") -> str:
    """Return the path of command `name`; skip the test without it, or fail under CI."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed{': ' + why if why else ''}"
        if in_ci():
            pytest.fail(f"{message} (CI must install it in .ci/run)")
        pytest.skip(message)
    return path
