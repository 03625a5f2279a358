"""The diffusion pipeline on a base model given as one original-format ``.safetensors`` file."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from auteur.model import LoraTrainingStatus
from auteur.render import PipelineError
from auteur.render.pipelines._diffusion.models import (
    LORA_METADATA_BASE,
    ModelInfo,
    check_lora,
    read_safetensors_header,
)
from auteur.render.training import train_character_lora
from auteur.storage import ProjectStore
from tests.render.test_diffusion import (
    anna_close_up,
    diffusion_config,
    make_job,
    render,
    run_in_fresh_interpreter,
    with_lora,
)
from tests.render.test_lora_training import QUICK, cast_anna
from tests.render.tiny_model import (
    TINY_CROSS_ATTENTION_DIM,
    build_tiny_pipeline,
    foreign_lora,
    tiny_model_path,
)
from tests.render.tiny_single_file import (
    ldm_state_dict,
    save_configs_only,
    save_tiny_single_file,
)

pytestmark = [
    # torch's tensors meet numpy 2's copy keyword inside diffusers' schedulers.
    pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning"),
]

SINGLE = "tiny-sd.safetensors"
CONFIGS = "tiny-sd-configs"


@pytest.fixture(scope="module")
def tiny_single_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model's weights (those of `tiny_model_path()`) as one original-format file."""
    return save_tiny_single_file(tiny_model_path(), tmp_path_factory.mktemp("single-file") / SINGLE)


@pytest.fixture
def models(project: ProjectStore) -> Path:
    """The workspace's models folder."""
    return project.path.parent.parent / "Library" / "AI_Models"


@pytest.fixture
def studio(project: ProjectStore, models: Path, tiny_single_file: Path) -> ProjectStore:
    """A 64x64 project with a close-up of Anna, and the tiny model in its workspace three
    times: the diffusers folder ``tiny-sd/``, the single file ``tiny-sd.safetensors`` and its
    configs without weights in ``tiny-sd-configs/``."""
    anna_close_up(project)
    shutil.copy(tiny_single_file, models / SINGLE)
    save_configs_only(tiny_model_path(), models / CONFIGS)
    return project


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[object]]:
    """Records any look-up of a host or connection (and refuses it); an empty Hugging Face
    cache."""
    import huggingface_hub.constants

    attempts: list[object] = []

    def refuse(*args: object, **_options: object) -> None:
        attempts.append(args)
        raise OSError("the network is off limits in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    # The cache folder is read when a lookup runs, so a model cached on this machine is unseen.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    yield attempts


def test_the_single_file_maps_back_to_the_model_through_diffusers_converters() -> None:
    """The test file is a real original-format checkpoint: diffusers' own converters give back
    every tensor of the diffusers model, unchanged and under its name."""
    import torch
    from diffusers.loaders.single_file_utils import (
        convert_ldm_clip_checkpoint,
        convert_ldm_unet_checkpoint,
        convert_ldm_vae_checkpoint,
    )

    pipe = build_tiny_pipeline()
    checkpoint = ldm_state_dict(pipe)
    text = {
        key.removeprefix("text_model."): tensor
        for key, tensor in convert_ldm_clip_checkpoint(checkpoint).items()
    }
    converted = {
        "unet": convert_ldm_unet_checkpoint(checkpoint, pipe.unet.config),
        "vae": convert_ldm_vae_checkpoint(checkpoint, pipe.vae.config),
        "text_encoder": text,
    }
    for name, state in converted.items():
        original = getattr(pipe, name).state_dict()
        assert state.keys() == original.keys(), name
        for key, tensor in original.items():
            assert torch.equal(state[key], tensor), f"{name}.{key}"
    # Nothing in the file is left over, so no tensor was written under a name diffusers skips.
    assert len(checkpoint) == sum(len(state) for state in converted.values())
    assert checkpoint["first_stage_model.encoder.mid.attn_1.q.weight"].shape == (32, 32, 1, 1)


def test_a_single_file_renders_the_image_its_diffusers_folder_renders(
    studio: ProjectStore, models: Path
) -> None:
    single = diffusion_config(model=SINGLE, modelConfig=CONFIGS)
    data, metadata, reports = render(make_job(studio, single, seed=5))
    folder, _, _ = render(make_job(studio, diffusion_config(model="tiny-sd"), seed=5))
    assert data == folder  # the same weights, the same seed: the same PNG, byte for byte
    assert (metadata["width"], metadata["height"]) == (64, 64)
    assert "denoising step 2/2" in [step for _, step in reports]
    recipe = metadata["recipe"]
    assert recipe["model"] == SINGLE
    assert recipe["modelSha256"] == hashlib.sha256((models / SINGLE).read_bytes()).hexdigest()
    assert recipe["modelConfig"] == CONFIGS
    assert recipe["scheduler"] == "EulerDiscreteScheduler"  # the configs' scheduler


def test_the_configs_can_be_a_folder_named_after_the_file(studio: ProjectStore) -> None:
    """Without modelConfig, ``tiny-sd/`` (here a full diffusers folder) describes
    ``tiny-sd.safetensors``; the absolute path of a config folder works too."""
    data, metadata, _ = render(make_job(studio, diffusion_config(model=SINGLE), seed=5))
    assert metadata["recipe"]["modelConfig"] == "tiny-sd"
    models = studio.path.parent.parent / "Library" / "AI_Models"
    absolute = diffusion_config(model=SINGLE, modelConfig=str(models / CONFIGS))
    again, metadata, _ = render(make_job(studio, absolute, seed=5))
    assert again == data
    assert metadata["recipe"]["modelConfig"] == CONFIGS  # named inside the models folder


def test_a_single_file_without_configs_is_refused_naming_the_file(
    studio: ProjectStore, models: Path, no_network: list[object]
) -> None:
    lonely = models / "lonely.safetensors"
    shutil.copy(models / SINGLE, lonely)
    with pytest.raises(PipelineError) as raised:
        render(make_job(studio, diffusion_config(model=lonely.name)))
    message = str(raised.value)
    assert message.startswith(f"diffusion model {lonely} is a single file without configs")
    assert "set parameters.modelConfig to a diffusers folder with its configs" in message
    assert no_network == []


def test_the_configs_can_come_from_the_local_hugging_face_cache(
    studio: ProjectStore, models: Path, no_network: list[object], tmp_path: Path
) -> None:
    """A lone file whose architecture diffusers knows (here SD 1.5's) takes that model's
    configs from the cache, as a snapshot put there earlier, without the network."""
    lonely = models / "lonely.safetensors"
    shutil.copy(models / SINGLE, lonely)
    repo = tmp_path / "hf-cache" / "models--stable-diffusion-v1-5--stable-diffusion-v1-5"
    revision = hashlib.sha1(b"a cached snapshot").hexdigest()
    save_configs_only(tiny_model_path(), repo / "snapshots" / revision)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)

    data, metadata, _ = render(make_job(studio, diffusion_config(model=lonely.name), seed=5))
    folder, _, _ = render(make_job(studio, diffusion_config(model="tiny-sd"), seed=5))
    assert data == folder
    recipe = metadata["recipe"]
    assert recipe["model"] == lonely.name
    # The recipe says which snapshot described the file.
    assert recipe["modelConfigCache"] == f"stable-diffusion-v1-5/stable-diffusion-v1-5@{revision}"
    assert "modelConfig" not in recipe
    assert no_network == []


def test_configs_that_do_not_load_are_named_with_the_file(
    studio: ProjectStore, models: Path
) -> None:
    broken = save_configs_only(tiny_model_path(), models / "broken")
    (broken / "vae" / "config.json").unlink()
    with pytest.raises(PipelineError) as raised:
        render(make_job(studio, diffusion_config(model=SINGLE, modelConfig="broken")))
    message = str(raised.value)
    assert message.startswith(
        f"cannot load diffusion model {models / SINGLE} with the configs in {broken}"
    )
    assert "set parameters.modelConfig" in message


def test_a_missing_model_config_is_named_before_torch_loads(
    studio: ProjectStore, models: Path
) -> None:
    job = make_job(studio, diffusion_config(model=SINGLE, modelConfig="sd15-configs"))
    assert run_in_fresh_interpreter(job) == [
        f"PipelineError model config {models}/sd15-configs for {SINGLE} is missing: "
        "parameters.modelConfig must name a diffusers folder with the configs of the model's "
        "architecture",
        "False",
    ]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        # a folder without model_index.json
        ("index", "is not a diffusers folder: model_index.json is missing"),
        # the configs of an SD 2-wide model for a file with a 32-wide text encoder
        ("width", "its text width is 32, theirs 1024"),
    ],
)
def test_configs_that_do_not_fit_are_refused_before_loading(
    studio: ProjectStore, models: Path, change: str, error: str
) -> None:
    configs = models / CONFIGS
    if change == "index":
        (configs / "model_index.json").unlink()
    else:
        unet = configs / "unet" / "config.json"
        unet.write_text(json.dumps({**json.loads(unet.read_text()), "cross_attention_dim": 1024}))
    with pytest.raises(PipelineError, match=error):
        render(make_job(studio, diffusion_config(model=SINGLE, modelConfig=CONFIGS)))


def test_the_text_width_of_a_single_file_comes_from_its_weights(
    studio: ProjectStore, models: Path
) -> None:
    model = ModelInfo(models / SINGLE)  # no configs: the header's cross-attention projections
    assert model.cross_attention_dim == TINY_CROSS_ATTENTION_DIM
    lora = foreign_lora(models.parent / "sdxl-lora.safetensors", 2048)
    with pytest.raises(PipelineError, match=r"text width 2048; tiny-sd\.safetensors has 32"):
        check_lora(lora, model)


@pytest.mark.parametrize(
    "parameters",
    [
        {"modelConfig": CONFIGS},  # the width from the configs
        {},  # the width from the file (the sibling folder is removed)
    ],
)
def test_a_lora_for_another_base_is_refused_with_a_single_file_model(
    studio: ProjectStore, models: Path, parameters: dict
) -> None:
    if not parameters:
        shutil.rmtree(models / "tiny-sd")
    lora = "01_Assets/Characters/anna/lora/sdxl.safetensors"
    foreign_lora(studio.path / lora, 2048)  # an SDXL-wide text encoder
    with_lora(studio, lora)
    with pytest.raises(PipelineError, match=f"LoRA {lora} was trained for a different base"):
        render(make_job(studio, diffusion_config(model=SINGLE, **parameters)))


def test_a_lora_trains_on_a_single_file_model_and_changes_its_image(
    project: ProjectStore, models: Path, tiny_single_file: Path
) -> None:
    shutil.copy(tiny_single_file, models / SINGLE)
    save_configs_only(tiny_model_path(), models / CONFIGS)
    cast_anna(project)
    single = {"model": SINGLE, "modelConfig": CONFIGS}
    before, _, _ = render(make_job(project, diffusion_config(**single), seed=9))

    anna = train_character_lora(project, "Anna", parameters={**QUICK, **single}, seed=1)

    assert anna.lora_training_status is LoraTrainingStatus.COMPLETED
    assert anna.lora_model_path is not None
    header = read_safetensors_header(project.path / anna.lora_model_path)
    # The LoRA names the file it was trained on, so a render can tell it fits.
    digest = hashlib.sha256((models / SINGLE).read_bytes()).hexdigest()
    assert header["__metadata__"][LORA_METADATA_BASE] == digest
    after, metadata, _ = render(make_job(project, diffusion_config(**single), seed=9))
    assert after != before
    assert [x["path"] for x in metadata["recipe"]["loras"]] == [anna.lora_model_path]
