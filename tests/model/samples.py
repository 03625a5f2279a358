"""Sample manifests and comparison helpers shared by the model and storage tests."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["SEED_MANIFEST", "assert_contains", "manifest_with_content"]

#: The manifest of the issue, as the original web platform wrote it.
SEED_MANIFEST = """
{"id": "unique-project-id", "name": "My Film Project", "created": "2025-01-02T10:00:00Z",
 "quality": "standard",
 "narrative": {"structure": "three-act", "chapters": [], "emotionalBeats": []},
 "assets": {"characters": [{"assetId": "char-uuid-here", "assetType": "Character",
    "name": "Character Name", "description": "Detailed character description",
    "triggerWord": "charnamev1",
    "baseFaceImagePath": "/assets/characters/name/base_face.png",
    "loraModelPath": "/assets/characters/name/lora/model.safetensors",
    "loraTrainingStatus": "completed",
    "variations": {"base_face": "/assets/characters/name/base_face.png",
                   "expression_happy": "/assets/characters/name/variations/expression_happy.png"},
    "usage": ["shot-001", "shot-005"]}],
   "locations": [], "styles": [], "music": []},
 "canvas": {"nodes": [], "edges": [], "viewport": {}},
 "settings": {"fps": 24, "resolution": [1920, 1080], "aspectRatio": "16:9"}}
"""


def assert_contains(written: Any, original: Any, where: str = "") -> None:
    """Every key and value of `original` is in `written`, which may add defaults."""
    if isinstance(original, dict):
        assert isinstance(written, dict), f"{where}: {written!r} is not an object"
        for key, value in original.items():
            assert key in written, f"{where}.{key} was lost"
            assert_contains(written[key], value, f"{where}.{key}")
    elif isinstance(original, list):
        assert isinstance(written, list), f"{where}: {written!r} is not a list"
        assert len(written) == len(original), f"{where}: length changed"
        for index, (a, b) in enumerate(zip(written, original, strict=True)):
            assert_contains(a, b, f"{where}[{index}]")
    else:
        assert written == original, f"{where}: {written!r} != {original!r}"


def manifest_with_content() -> dict[str, Any]:
    """The seed manifest, plus a chapter holding a scene, a shot and a take."""
    data = json.loads(SEED_MANIFEST)
    take = {
        "id": "take-1",
        "number": 1,
        "path": "03_Renders/shot-001/take_001.png",
        "created": "2025-01-03T09:30:00Z",
        "recipe": {"pipelineId": "sdxl", "quality": "high", "prompt": "a rooftop", "seed": 7},
    }
    shot = {"id": "shot-001", "number": 1, "description": "Rooftop", "takes": [take]}
    scene = {"id": "scene-1", "number": 1, "title": "Night", "shots": [shot]}
    data["narrative"]["chapters"] = [{"id": "chapter-1", "number": 1, "scenes": [scene]}]
    return data
