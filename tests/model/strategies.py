"""Hypothesis strategies for manifests in their on-disk form (camelCase, JSON values)."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from auteur.model import Framing, NarrativeStructure, Quality

__all__ = ["PROJECTS", "SHOTS"]

# Any Unicode character but lone surrogates, which UTF-8 files cannot hold.
CHARS = st.one_of(st.integers(0, 0xD7FF), st.integers(0xE000, 0x10FFFF)).map(chr)
ASCII = string.ascii_letters + string.digits + "_"
# Unknown fields start with "x": no field of the schema does, so they never collide.
EXTRA_KEYS = st.text(ASCII, max_size=8).map("x".__add__)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(CHARS, max_size=12)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(CHARS, max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
EXTRAS = st.dictionaries(EXTRA_KEYS, JSON_VALUES, max_size=2)
TEXT = st.text(CHARS, max_size=30)
IDS = st.uuids().map(lambda u: u.hex[:12])
NUMBERS = st.integers(1, 999)
TIMES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda t: t.replace(microsecond=0, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
)
QUALITY = st.sampled_from([q.value for q in Quality])


def with_extras(fields: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.tuples(fields, EXTRAS).map(lambda pair: {**pair[1], **pair[0]})


RECIPES = with_extras(
    st.fixed_dictionaries(
        {
            "pipelineId": TEXT,
            "quality": st.none() | QUALITY,
            "prompt": TEXT,
            "seed": st.none() | st.integers(0, 2**32 - 1),
            "parameters": st.dictionaries(st.text(CHARS, max_size=6), JSON_VALUES, max_size=3),
        }
    )
)
TAKES = with_extras(
    st.fixed_dictionaries(
        {
            "id": IDS.map("take-{}".format),
            "number": NUMBERS,
            "path": TEXT.map("03_Renders/{}.png".format),
            "created": TIMES,
            "recipe": RECIPES,
            "rejected": st.booleans(),
        }
    )
)


@st.composite
def shots(draw: st.DrawFn) -> dict[str, Any]:
    takes = draw(st.lists(TAKES, max_size=3, unique_by=lambda t: t["id"]))
    active = draw(st.none() | st.sampled_from([t["id"] for t in takes])) if takes else None
    fields = {
        "id": "shot-" + draw(IDS),
        "number": draw(NUMBERS),
        "title": draw(TEXT),
        "description": draw(TEXT),
        "framing": draw(st.none() | st.sampled_from([f.value for f in Framing])),
        "duration": draw(st.integers(1, 100_000)),
        "characters": draw(st.lists(IDS.map("char-{}".format), max_size=2)),
        "location": draw(st.none() | IDS.map("loc-{}".format)),
        "quality": draw(st.none() | QUALITY),
        "activeTake": active,
        "takes": takes,
    }
    return {**draw(EXTRAS), **fields}


SCENES = with_extras(
    st.fixed_dictionaries(
        {
            "id": IDS.map("scene-{}".format),
            "number": NUMBERS,
            "title": TEXT,
            "description": TEXT,
            "shots": st.lists(shots(), max_size=3),
        }
    )
)
CHAPTERS = with_extras(
    st.fixed_dictionaries(
        {
            "id": IDS.map("chapter-{}".format),
            "number": NUMBERS,
            "title": TEXT,
            "description": TEXT,
            "scenes": st.lists(SCENES, max_size=3),
        }
    )
)
CHARACTERS = with_extras(
    st.fixed_dictionaries(
        {
            "assetId": IDS.map("char-{}".format),
            "name": TEXT,
            "triggerWord": TEXT,
            "loraTrainingStatus": st.sampled_from(["untrained", "training", "completed", "failed"]),
            "variations": st.dictionaries(st.text(CHARS, max_size=8), TEXT, max_size=2),
            "usage": st.lists(IDS.map("shot-{}".format), max_size=3),
        }
    )
)
PROJECTS = with_extras(
    st.fixed_dictionaries(
        {
            "id": IDS.map("project-{}".format),
            "name": st.text(CHARS, min_size=1, max_size=30).filter(str.strip),
            "created": TIMES,
            "quality": QUALITY,
            "narrative": with_extras(
                st.fixed_dictionaries(
                    {
                        "structure": st.sampled_from([s.value for s in NarrativeStructure]),
                        "chapters": st.lists(CHAPTERS, max_size=3),
                    }
                )
            ),
            "assets": with_extras(
                st.fixed_dictionaries({"characters": st.lists(CHARACTERS, max_size=2)})
            ),
            "settings": with_extras(
                st.fixed_dictionaries(
                    {
                        "fps": st.integers(1, 240),
                        "resolution": st.tuples(st.integers(1, 8192), st.integers(1, 8192)).map(
                            list
                        ),
                    }
                )
            ),
        }
    )
)
SHOTS = shots()
