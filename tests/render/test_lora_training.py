"""Character LoRA training on a tiny model, then renders with the trained LoRA."""

from __future__ import annotations

import functools
import hashlib
import io

import pytest
from PIL import Image

from auteur.model import LoraTrainingStatus
from auteur.render import LocalContext, PipelineConfig, RenderCluster
from auteur.render.pipelines import load_pipeline
from auteur.render.pipelines._diffusion.models import (
    LORA_METADATA_BASE,
    ModelInfo,
    read_safetensors_header,
)
from auteur.render.training import TrainingError, train_character_lora, training_config
from auteur.storage import ProjectStore
from tests.render.conftest import Recorder
from tests.render.test_diffusion import diffusion_config, make_job
from tests.render.tiny_model import build_tiny_pipeline, install_tiny_model

pytestmark = [
    pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning"),
]

#: A short, strong training: 3 steps at a learning rate that visibly moves the adapter.
QUICK = {"model": "tiny-sd", "steps": 3, "resolution": 64, "learningRate": 1e-2, "device": "cpu"}
TRAINING = PipelineConfig(
    pipeline_id="lora-training",
    entry_point="auteur.render.pipelines.lora_training:LoraTrainingPipeline",
    parameters=QUICK,
)


@functools.cache
def generated_references(count: int = 2) -> list[bytes]:
    """Reference images made by the tiny model itself."""
    import torch

    pipe = build_tiny_pipeline(seed=5)
    pipe.set_progress_bar_config(disable=True)
    images = []
    for seed in range(count):
        image = pipe(
            "a photo of anna_v1",
            num_inference_steps=2,
            height=64,
            width=64,
            generator=torch.Generator().manual_seed(seed),
        ).images[0]
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        images.append(buffer.getvalue())
    return images


def cast_anna(project: ProjectStore) -> ProjectStore:
    """Make `project` 64x64 with Anna (two generated references) and her close-up."""
    project.update_project(resolution=(64, 64))
    anna = project.assets.create_character("Anna", trigger_word="anna_v1")
    for angle, data in zip(("front", "left"), generated_references(), strict=True):
        project.assets.add_reference(anna.asset_id, (f"{angle}.png", data), angle=angle)
    project.add_scene("1", "Dawn at the harbour")
    project.add_shot("1/1", "Anna waits", framing="close-up", characters=[anna.asset_id])
    return project


@pytest.fixture
def cast(project: ProjectStore) -> ProjectStore:
    """A 64x64 project with the tiny model, Anna (two generated references) and her close-up."""
    install_tiny_model(project.path.parent.parent)
    return cast_anna(project)


def render(store: ProjectStore, seed: int = 9, loras: bool = True) -> tuple[bytes, dict]:
    job = make_job(store, diffusion_config(), seed=seed)
    if not loras:
        characters = [{**c, "lora": None} for c in job.prompt["characters"]]
        job = job.model_copy(update={"prompt": {**job.prompt, "characters": characters}})
    [output] = load_pipeline(job.pipeline).run(job, LocalContext(job))
    return output.data, output.metadata


def test_a_trained_lora_is_filed_tracked_and_changes_the_image(cast: ProjectStore) -> None:
    recorder = Recorder()
    cast.bus.subscribe(recorder)
    before, _ = render(cast)

    anna = train_character_lora(cast, "Anna", parameters=QUICK, seed=1)

    assert anna.lora_training_status is LoraTrainingStatus.COMPLETED
    assert anna.lora_model_path is not None
    assert anna.lora_model_path.startswith("01_Assets/Characters/anna/lora/")
    assert anna.lora_model_path.endswith(".safetensors")
    lora = cast.path / anna.lora_model_path
    header = read_safetensors_header(lora)
    model = ModelInfo(cast.path.parent.parent / "Library" / "AI_Models" / "tiny-sd")
    assert header["__metadata__"][LORA_METADATA_BASE] == model.sha256
    # LFS-tracked and committed.
    git = cast.git.repo.git
    assert anna.lora_model_path in git.execute(["git", "lfs", "ls-files", "--name-only"])
    assert git.execute(["git", "status", "--porcelain", "--", anna.lora_model_path]) == ""
    # Progress streamed as character_lora_status: training with rising fractions, then done.
    events = recorder.of("character_lora_status")
    training = [e.progress for e in events if e.status is LoraTrainingStatus.TRAINING]
    assert len(training) >= 4 and training == sorted(training)
    assert events[-1].status is LoraTrainingStatus.COMPLETED and events[-1].progress == 1.0

    after, metadata = render(cast)
    again, _ = render(cast)
    assert after != before
    assert after == again
    # Training left the loaded base model as it was.
    assert render(cast, loras=False)[0] == before
    assert metadata["recipe"]["loras"] == [
        {
            "path": anna.lora_model_path,
            "sha256": hashlib.sha256(lora.read_bytes()).hexdigest(),
            "strength": anna.lora_strength,
        }
    ]
    with Image.open(io.BytesIO(after)) as image:
        assert image.size == (64, 64)


def test_two_characters_render_with_two_adapters(cast: ProjectStore) -> None:
    anna = train_character_lora(cast, "Anna", parameters=QUICK, seed=1)
    ben_id = cast.assets.create_character("Ben", trigger_word="ben_v1").asset_id
    cast.assets.add_reference(ben_id, ("front.png", generated_references()[1]))
    ben = train_character_lora(cast, "Ben", parameters={**QUICK, "rank": 4}, seed=2)
    cast.update("1/1/1", characters=[anna.asset_id, ben_id])
    data, metadata = render(cast)
    assert [x["path"] for x in metadata["recipe"]["loras"]] == [
        anna.lora_model_path,
        ben.lora_model_path,
    ]
    cast.update("1/1/1", characters=[anna.asset_id])
    alone, _ = render(cast)
    assert data != alone


def test_training_refuses_clearly_before_it_starts(cast: ProjectStore) -> None:
    missing = cast.path.parent.parent / "Library" / "AI_Models" / "stable-diffusion-v1-5"
    # The low tier's template names a model this workspace does not have.
    with pytest.raises(TrainingError, match=f"diffusion model {missing} is missing"):
        train_character_lora(cast, "Anna", quality="low", parameters={"steps": 1})
    with cast.transaction() as p:
        p.assets.characters[0].trigger_word = ""
        cast.touch_manifest()
    with pytest.raises(TrainingError, match="needs a trigger word"):
        train_character_lora(cast, "Anna", parameters=QUICK)
    with pytest.raises(TrainingError, match="no character 'Nobody'"):
        train_character_lora(cast, "Nobody", parameters=QUICK)
    cast.refresh()
    assert cast.project.assets.characters[0].lora_training_status is LoraTrainingStatus.UNTRAINED


def test_the_training_pipeline_follows_the_tier(cast: ProjectStore) -> None:
    tier = diffusion_config().model_copy(update={"resources": {"GPU": 1}, "runner": "container"})
    config = training_config(tier)
    assert (config.pipeline_id, config.entry_point, config.resources) == (
        "lora-training",
        "lora-training",
        {"GPU": 1},
    )
    assert config.parameters == {"model": "tiny-sd", "device": "cpu"}


def test_training_on_a_worker_streams_progress(
    cast: ProjectStore, cpu_cluster: RenderCluster
) -> None:
    recorder = Recorder()
    cast.bus.subscribe(recorder)
    seen: list[float] = []
    anna = train_character_lora(
        cast,
        "Anna",
        cluster=cpu_cluster,
        pipeline=TRAINING,
        seed=1,
        on_progress=lambda fraction, _step: seen.append(fraction),
        timeout=120,
    )
    assert anna.lora_training_status is LoraTrainingStatus.COMPLETED
    assert (cast.path / str(anna.lora_model_path)).is_file()
    assert seen and seen[-1] == 1.0
    statuses = [e.status for e in recorder.of("character_lora_status")]
    assert statuses[0] is LoraTrainingStatus.TRAINING
    assert statuses[-1] is LoraTrainingStatus.COMPLETED


def test_a_failed_training_sets_the_failed_status(cast: ProjectStore) -> None:
    with pytest.raises(TrainingError, match="LoRA training of Anna failed"):
        train_character_lora(cast, "Anna", parameters={**QUICK, "dtype": "float64"})
    cast.refresh()
    assert cast.project.assets.characters[0].lora_training_status is LoraTrainingStatus.FAILED
