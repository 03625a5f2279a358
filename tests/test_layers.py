"""Imports run one way: the model and storage layers never load the UI or the cluster."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Heavy packages that only the render and UI layers may import.
FORBIDDEN = ("panel", "bokeh", "distributed")

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {forbidden!r})))
"""


def loaded_after_importing(*modules: str) -> list[str]:
    """Import `modules` in a fresh interpreter; return the forbidden modules it loaded."""
    code = PROBE.format(forbidden=set(FORBIDDEN))
    done = subprocess.run(
        [sys.executable, "-c", code, *modules],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    "modules",
    [
        ("auteur.model",),
        ("auteur.storage",),
        ("auteur.config",),
        ("auteur.model", "auteur.storage", "auteur.cli"),  # the command line stays light too
    ],
    ids=lambda m: "+".join(m),
)
def test_lower_layers_do_not_load_ui_or_cluster(modules: tuple[str, ...]):
    assert loaded_after_importing(*modules) == []


def test_the_probe_notices_a_forbidden_import():
    # Guards the test itself: were the probe broken, the test above would always pass.
    code = PROBE.format(forbidden={"json"})
    done = subprocess.run(
        [sys.executable, "-c", code, "auteur.model"], capture_output=True, text=True, check=True
    )
    assert "json" in json.loads(done.stdout)
