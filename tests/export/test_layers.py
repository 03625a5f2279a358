"""The exports build on the store alone: no studio, no cluster."""

from __future__ import annotations

from tests.test_layers import loaded_after_importing


def test_exports_do_not_load_ui_or_cluster():
    assert loaded_after_importing("auteur.export", "auteur.cli.editorial") == []
