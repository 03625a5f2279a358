"""Auteur: a notebook-centric studio for AI film production.

``import auteur; ws = auteur.Workspace(); film = ws.open("My Film")``
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["ProjectStore", "Settings", "Workspace", "load_settings"]

_LAZY = {
    "Workspace": ("auteur.notebook", "Workspace"),
    "ProjectStore": ("auteur.storage", "ProjectStore"),
    "Settings": ("auteur.config", "Settings"),
    "load_settings": ("auteur.config", "load_settings"),
}


def __getattr__(name: str) -> Any:
    # Imported on first use so `import auteur` stays cheap for the command line.
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'auteur' has no attribute {name!r}")
