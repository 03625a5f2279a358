"""The `auteur` command."""

from .main import app, main

__all__ = ["app", "main"]
