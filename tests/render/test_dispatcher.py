"""Quality tiers map to pipeline configurations loaded from the workspace's Library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auteur.model import ManifestError, Project, Quality, Shot
from auteur.render import Dispatcher, ensure_pipeline_templates
from auteur.render.dispatcher import PIPELINE_TEMPLATES_DIR, builtin_pipeline_templates


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return ensure_pipeline_templates(tmp_path / "ws")


def test_package_defaults_are_the_issue_mappings(library: Path):
    mappings = Dispatcher.from_folder(library).mappings()
    assert list(mappings) == [Quality.LOW, Quality.STANDARD, Quality.HIGH]
    expected = {
        Quality.LOW: ("auteur-flux:1.0-draft", 12, ["cpu_offloading", "sequential"]),
        Quality.STANDARD: ("auteur-flux:1.0-standard", 16, ["moderate_parallel"]),
        Quality.HIGH: ("auteur-flux:1.0-cinematic", 24, ["full_parallel"]),
    }
    for tier, (pipeline_id, vram, optimizations) in expected.items():
        config = mappings[tier]
        assert (config.pipeline_id, config.target_vram, config.optimizations) == (
            pipeline_id,
            vram,
            optimizations,
        )
        assert config.resources == {"GPU": 1}
        assert config.use_case
    assert mappings[Quality.LOW].fallback is not None
    assert mappings[Quality.LOW].fallback.pipeline_id == "previz"
    assert mappings[Quality.LOW].fallback.resources == {}
    assert mappings[Quality.STANDARD].fallback is None


def test_templates_are_copied_into_the_library_once(tmp_path: Path):
    folder = ensure_pipeline_templates(tmp_path)
    assert folder == tmp_path / PIPELINE_TEMPLATES_DIR
    assert sorted(p.name for p in folder.iterdir()) == sorted(builtin_pipeline_templates())
    edited = folder / "high.json"
    edited.write_text(edited.read_text().replace("final renders", "festival renders"))
    ensure_pipeline_templates(tmp_path)
    assert "festival renders" in edited.read_text()


def test_a_library_template_replaces_the_package_one(library: Path):
    data = json.loads((library / "standard.json").read_text())
    data.update(pipelineId="studio-sdxl:2", targetVram=20, parameters={"steps": 30})
    (library / "standard.json").write_text(json.dumps(data))
    dispatcher = Dispatcher.from_folder(library)
    config = dispatcher.mappings()[Quality.STANDARD]
    assert (config.pipeline_id, config.target_vram, config.parameters) == (
        "studio-sdxl:2",
        20,
        {"steps": 30},
    )
    assert dispatcher.source("standard") == str(library / "standard.json")
    assert dispatcher.source("high") == str(library / "high.json")


def test_a_deleted_library_template_falls_back_to_the_package(library: Path):
    (library / "high.json").unlink()
    dispatcher = Dispatcher.from_folder(library)
    assert dispatcher.mappings()[Quality.HIGH].pipeline_id == "auteur-flux:1.0-cinematic"
    assert dispatcher.source("high") == "package:high.json"


def test_a_broken_template_is_named(library: Path):
    (library / "extra.json").write_text('{"pipelineId": "x", "quality": "ultra"}')
    with pytest.raises(ManifestError, match=r"extra\.json"):
        Dispatcher.from_folder(library)
    (library / "extra.json").write_text("{not json")
    with pytest.raises(ManifestError, match="line 1"):
        Dispatcher.from_folder(library)


def test_two_templates_for_one_tier_are_refused(library: Path):
    (library / "zz-other-high.json").write_text('{"pipelineId": "x", "quality": "high"}')
    with pytest.raises(ManifestError, match=r"already mapped by .*high\.json"):
        Dispatcher.from_folder(library)


def test_templates_without_a_tier_are_ignored(library: Path):
    (library / "lora-training.json").write_text('{"pipelineId": "lora-training"}')
    assert (
        Dispatcher.from_folder(library).mappings()[Quality.LOW].pipeline_id
        == "auteur-flux:1.0-draft"
    )


@pytest.mark.parametrize(
    ("project", "shot", "override", "expected"),
    [
        (Quality.STANDARD, None, None, Quality.STANDARD),  # the project's tier by default
        (Quality.STANDARD, Quality.HIGH, None, Quality.HIGH),  # a shot overrides it
        (Quality.LOW, Quality.HIGH, Quality.STANDARD, Quality.STANDARD),  # a render overrides both
        (Quality.HIGH, None, "low", Quality.LOW),  # overrides may be plain strings
    ],
)
def test_which_tier_a_shot_renders_at(project, shot, override, expected):
    assert (
        Dispatcher.quality_for(Project(name="P", quality=project), Shot(quality=shot), override)
        == expected
    )


@pytest.mark.parametrize(
    ("tier", "workers", "expected"),
    [
        ("low", [{"GPU": 1}, {}], "auteur-flux:1.0-draft"),  # a GPU worker exists
        ("low", [{}, {}], "previz"),  # none: the CPU fallback
        ("low", [], "auteur-flux:1.0-draft"),  # no workers at all: nothing to fall back on
        ("standard", [{}], "auteur-flux:1.0-standard"),  # no fallback: fails clearly later
        ("high", None, "auteur-flux:1.0-cinematic"),  # capabilities unknown: no check
        ("high", [{"GPU": 2}], "auteur-flux:1.0-cinematic"),
    ],
)
def test_the_fallback_is_chosen_only_when_no_worker_offers_the_resources(
    library: Path, tier, workers, expected
):
    assert Dispatcher.from_folder(library).config_for(tier, workers).pipeline_id == expected
