"""The render layer's light parts import without Dask, Docker or the UI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
heavy = {"distributed", "docker", "panel", "bokeh"}
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & heavy)))
"""


def heavy_modules_after(*modules: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *modules],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("modules", "expected"),
    [
        (("auteur.render",), []),  # prompts, contract and dispatcher: no cluster needed
        (("auteur.render.pipelines.previz", "auteur.render.pipelines.entry"), []),
        (("auteur.cli.render",), []),  # the command line loads Dask only when a command runs
        (("auteur.render.service",), ["distributed"]),
        (("auteur.render.pipelines.container",), ["docker"]),
    ],
    ids=lambda value: "+".join(value) if isinstance(value, tuple) else None,
)
def test_what_each_part_loads(modules: tuple[str, ...], expected: list[str]):
    assert heavy_modules_after(*modules) == expected
