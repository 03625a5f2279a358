"""IP-Adapter reference images in the diffusion pipeline, on a tiny model and adapter (CPU)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil

import pytest
import torch
from PIL import Image, ImageChops, ImageStat

from auteur.model import Character
from auteur.render import (
    LocalContext,
    PipelineError,
    RenderCluster,
    RenderJob,
    assemble_prompt,
)
from auteur.render.pipelines import load_pipeline
from auteur.render.pipelines._diffusion import runtime
from auteur.render.pipelines._diffusion.models import ModelInfo, file_sha256
from auteur.render.pipelines.diffusion import check_before_submit
from auteur.render.training import train_character_lora
from auteur.storage import ProjectStore
from tests.render.conftest import add_file, png
from tests.render.test_diffusion import anna_close_up, diffusion_config, make_job, render
from tests.render.tiny_ip_adapter import (
    TINY_IP_WEIGHT_NAME,
    install_tiny_ip_adapter,
    save_tiny_ip_adapter,
)
from tests.render.tiny_model import install_tiny_model

pytestmark = [
    # torch's tensors meet numpy 2's copy keyword inside diffusers' schedulers.
    pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning"),
]

IP_FACES = [
    "01_Assets/Characters/anna/ip_adapter/front.png",
    "01_Assets/Characters/anna/ip_adapter/left.png",
]
IP_ADAPTER = {"model": "tiny-ip", "subfolder": "models", "weightName": TINY_IP_WEIGHT_NAME}


def with_adapter(**parameters: object):
    """The tiny diffusion pipeline with the tiny IP-Adapter named in its template."""
    return diffusion_config(ipAdapter=IP_ADAPTER, **parameters)


@pytest.fixture
def studio(project: ProjectStore) -> ProjectStore:
    """A 64x64 project with the tiny model and IP-Adapter, and a close-up of Anna, whose two
    IP-Adapter reference images steer her at scale 0.8."""
    install_tiny_ip_adapter(project.path.parent.parent)
    add_file(project, IP_FACES[0], png((20, 70, 240), (64, 64)))
    add_file(project, IP_FACES[1], png((240, 40, 30), (48, 48)))
    return anna_close_up(
        project,
        folder="01_Assets/Characters/anna",
        ip_adapter_images=IP_FACES,
        ip_adapter_scale=0.8,
    )


def set_anna(store: ProjectStore, **fields: object) -> None:
    with store.transaction() as p:
        for name, value in fields.items():
            setattr(p.assets.characters[0], name, value)
        store.touch_manifest()


def loaded_tiny_model(store: ProjectStore, name: str = "tiny-sd") -> runtime.LoadedModel:
    """The model the pipeline keeps loaded in this process (loaded now if it is not)."""
    info = ModelInfo(store.path.parent.parent / "Library" / "AI_Models" / name)
    return runtime.load_model(info, "cpu", torch.float32)


def test_reference_images_steer_the_image_and_the_seed_still_fixes_it(
    studio: ProjectStore,
) -> None:
    steered, metadata, reports = render(make_job(studio, with_adapter(), seed=3))
    again, _, _ = render(make_job(studio, with_adapter(), seed=3))
    plain, plain_metadata, _ = render(make_job(studio, diffusion_config(), seed=3))
    assert steered == again
    assert steered != plain
    with Image.open(io.BytesIO(steered)) as image, Image.open(io.BytesIO(plain)) as other:
        assert image.size == other.size == (64, 64)
        # Visibly different, not a rounding difference.
        difference = ImageStat.Stat(ImageChops.difference(image, other)).mean
        assert sum(difference) / len(difference) > 5
    assert metadata["recipe"]["ipAdapter"] is not None
    assert plain_metadata["recipe"]["ipAdapter"] is None
    assert [s for _, s in reports if s.startswith("denoising")] == [
        "denoising step 1/2",
        "denoising step 2/2",
    ]


def test_the_reference_images_travel_as_job_inputs(studio: ProjectStore) -> None:
    found = studio.locate("1/1/1", "shot")
    assert found.scene is not None and found.shot is not None
    prompt = assemble_prompt(studio.project, found.scene, found.shot)
    assert set(IP_FACES) <= set(prompt.resource_paths())
    job = make_job(studio, with_adapter(), seed=3)
    assert set(IP_FACES) <= {item.path for item in job.inputs}
    shared, _, _ = render(job)
    # On a remote worker the images arrive with the job, not through the project folder.
    travelling = job.model_copy(update={"project_root": None})
    attached = {item.sha256: (studio.path / item.path).read_bytes() for item in job.inputs}
    context = LocalContext(travelling, attached)
    [output] = load_pipeline(travelling.pipeline).run(travelling, context)
    assert output.data == shared


def test_the_scale_sets_how_much_the_images_steer(studio: ProjectStore) -> None:
    plain, _, _ = render(make_job(studio, diffusion_config(), seed=5))
    strong, _, _ = render(make_job(studio, with_adapter(), seed=5))
    set_anna(studio, ip_adapter_scale=0.3)
    weak, metadata, _ = render(make_job(studio, with_adapter(), seed=5))
    # diffusers skips the image attention at scale 0: the adapter then adds nothing.
    set_anna(studio, ip_adapter_scale=0.0)
    off, _, _ = render(make_job(studio, with_adapter(), seed=5))
    assert len({plain, strong, weak}) == 3
    assert off == plain
    assert metadata["recipe"]["ipAdapter"]["references"][0]["scale"] == 0.3


def test_a_render_without_images_after_one_with_them_is_as_if_none_was_loaded(
    studio: ProjectStore,
) -> None:
    install_tiny_model(studio.path.parent.parent, "tiny-sd-copy")  # the same weights
    steered, _, _ = render(make_job(studio, with_adapter(), seed=8))
    model = loaded_tiny_model(studio)
    assert model.ip_adapter is not None
    encoder = model.pipe.image_encoder
    after, _, _ = render(make_job(studio, with_adapter(), seed=8))
    assert after == steered
    set_anna(studio, ip_adapter_images=[])
    # The template still names the adapter, but no character brings images.
    reused, metadata, _ = render(make_job(studio, with_adapter(), seed=8))
    assert loaded_tiny_model(studio) is model and model.ip_adapter is None
    assert metadata["recipe"]["ipAdapter"] is None
    set_anna(studio, ip_adapter_images=IP_FACES)
    # Back on: the kept image encoder serves again and the image is the same as before.
    assert render(make_job(studio, with_adapter(), seed=8))[0] == steered
    assert model.pipe.image_encoder is encoder
    # A model that never had an adapter (another copy: loading it replaces the cached one).
    fresh, _, _ = render(make_job(studio, diffusion_config(model="tiny-sd-copy"), seed=8))
    assert reused == fresh


def test_a_lora_trains_on_a_model_that_rendered_with_the_adapter(studio: ProjectStore) -> None:
    render(make_job(studio, with_adapter(), seed=1))
    assert loaded_tiny_model(studio).ip_adapter is not None
    quick = {"model": "tiny-sd", "steps": 1, "resolution": 64, "device": "cpu"}
    anna = train_character_lora(studio, "Anna", parameters=quick, seed=1)
    assert anna.lora_model_path is not None
    assert loaded_tiny_model(studio).ip_adapter is None


def test_the_recipe_records_the_adapter_its_digests_and_the_scale(studio: ProjectStore) -> None:
    _, metadata, _ = render(make_job(studio, with_adapter(), seed=2))
    folder = studio.path.parent.parent / "Library" / "AI_Models" / "tiny-ip" / "models"
    recorded = metadata["recipe"]["ipAdapter"]
    assert recorded == {
        **IP_ADAPTER,
        "sha256": hashlib.sha256((folder / TINY_IP_WEIGHT_NAME).read_bytes()).hexdigest(),
        "imageEncoderSha256": recorded["imageEncoderSha256"],
        "references": [{"character": "char-anna", "images": IP_FACES, "scale": 0.8}],
    }
    encoder = hashlib.sha256()
    for name in ("config.json", "model.safetensors"):
        encoder.update(f"{name}\0{file_sha256(folder / 'image_encoder' / name)}\n".encode())
    assert recorded["imageEncoderSha256"] == encoder.hexdigest()
    # The recorded entry works as the template's parameters.ipAdapter to render the take again.
    again, _, _ = render(make_job(studio, diffusion_config(ipAdapter=recorded), seed=2))
    assert again == render(make_job(studio, with_adapter(), seed=2))[0]


def missing(job: RenderJob, studio: ProjectStore, match: str) -> None:
    """The studio refuses `job` before it is sent, and a worker refuses it too."""
    workspace = studio.path.parent.parent
    with pytest.raises(PipelineError, match=match):
        check_before_submit(job.model_copy(update={"project_root": None}), studio.path, workspace)
    with pytest.raises(PipelineError, match=match):
        render(job)


def test_missing_ip_adapter_files_are_named_in_the_error(studio: ProjectStore) -> None:
    models = studio.path.parent.parent / "Library" / "AI_Models"
    folder = models / "tiny-ip" / "models"
    nowhere = models / "no-such-adapter"
    job = make_job(studio, diffusion_config(ipAdapter={"model": "no-such-adapter"}))
    missing(job, studio, f"IP-Adapter {nowhere} is missing")
    other_name = {**IP_ADAPTER, "weightName": "ip-adapter_sd15.safetensors"}
    weights = folder / "ip-adapter_sd15.safetensors"
    missing(
        make_job(studio, diffusion_config(ipAdapter=other_name)),
        studio,
        f"IP-Adapter weights {weights} are missing",
    )
    pickled = {**IP_ADAPTER, "weightName": "ip-adapter_sd15.bin"}
    missing(
        make_job(studio, diffusion_config(ipAdapter=pickled)),
        studio,
        "must be a .safetensors file",
    )
    shutil.rmtree(folder / "image_encoder")
    missing(
        make_job(studio, with_adapter()),
        studio,
        f"the IP-Adapter's image encoder {folder / 'image_encoder'} is missing",
    )


def test_an_adapter_for_another_base_model_is_refused_before_loading(
    studio: ProjectStore,
) -> None:
    models = studio.path.parent.parent / "Library" / "AI_Models"
    config = json.loads((models / "tiny-sd" / "unet" / "config.json").read_text())
    save_tiny_ip_adapter(models / "wide-ip", {**config, "cross_attention_dim": 64})
    wide = {**IP_ADAPTER, "model": "wide-ip"}
    missing(
        make_job(studio, diffusion_config(ipAdapter=wide)),
        studio,
        "was made for a different base model \\(text width 64; tiny-sd has 32\\)",
    )


def test_an_unreadable_reference_image_is_named(studio: ProjectStore) -> None:
    add_file(studio, IP_FACES[1], b"not a png")
    with pytest.raises(PipelineError, match=f"IP-Adapter image {IP_FACES[1]} is not an image"):
        render(make_job(studio, with_adapter()))


def test_each_character_steers_through_an_adapter_of_its_own(studio: ProjectStore) -> None:
    ben_faces = ["01_Assets/Characters/ben/ip_adapter/front.png"]
    add_file(studio, ben_faces[0], png((30, 200, 60), (64, 64)))
    with studio.transaction() as p:
        p.assets.characters.append(
            Character(
                asset_id="char-ben",
                name="Ben",
                folder="01_Assets/Characters/ben",
                trigger_word="ben_v1",
                ip_adapter_images=ben_faces,
                ip_adapter_scale=0.5,
            )
        )
        studio.touch_manifest()
    anna_only, _, _ = render(make_job(studio, with_adapter(), seed=6))
    studio.update("1/1/1", characters=["char-anna", "char-ben"])
    both, metadata, _ = render(make_job(studio, with_adapter(), seed=6))
    assert metadata["recipe"]["ipAdapter"]["references"] == [
        {"character": "char-anna", "images": IP_FACES, "scale": 0.8},
        {"character": "char-ben", "images": ben_faces, "scale": 0.5},
    ]
    assert loaded_tiny_model(studio).ip_adapter.endswith("*2")  # two adapters, one each
    # The same prompt with only Anna's images: Ben's images changed the image...
    set_ben(studio, ip_adapter_images=[])
    anna_steers, _, _ = render(make_job(studio, with_adapter(), seed=6))
    assert loaded_tiny_model(studio).ip_adapter.endswith("*1")
    assert both != anna_steers
    # ...at his own scale: at 0 they add nothing, while Anna's steer as before.
    set_ben(studio, ip_adapter_images=ben_faces, ip_adapter_scale=0.0)
    assert render(make_job(studio, with_adapter(), seed=6))[0] == anna_steers
    # Back to Anna alone in the shot: the image she had before.
    studio.update("1/1/1", characters=["char-anna"])
    assert render(make_job(studio, with_adapter(), seed=6))[0] == anna_only


def set_ben(store: ProjectStore, **fields: object) -> None:
    with store.transaction() as p:
        for name, value in fields.items():
            setattr(p.assets.characters[1], name, value)
        store.touch_manifest()


def test_a_shot_renders_with_the_adapter_on_a_worker(
    studio: ProjectStore, cpu_cluster: RenderCluster, make_service
) -> None:
    service = make_service(studio, cpu_cluster)
    handle = service.submit("1/1/1", pipeline=with_adapter(), seed=11)
    status = handle.wait(timeout=120)
    assert status.state == "succeeded", status.error
    [take] = handle.takes
    recipe = take.recipe
    assert recipe.parameters["ipAdapter"]["model"] == "tiny-ip"
    assert recipe.parameters["ipAdapter"]["references"][0]["images"] == IP_FACES
    assert set(IP_FACES) <= set(recipe.source_assets)
    with Image.open(studio.path / take.path) as image:
        assert image.size == (64, 64)


def test_an_adapter_that_fails_to_load_leaves_the_model_as_it_was(studio: ProjectStore) -> None:
    models = studio.path.parent.parent / "Library" / "AI_Models"
    plain, _, _ = render(make_job(studio, diffusion_config(), seed=4))
    steered, _, _ = render(make_job(studio, with_adapter(), seed=4))
    config = json.loads((models / "tiny-sd" / "unet" / "config.json").read_text())
    # The right text width, so the checks pass, but layers of the wrong size.
    weights = save_tiny_ip_adapter(models / "narrow-ip", {**config, "block_out_channels": [32, 32]})
    narrow = {**IP_ADAPTER, "model": "narrow-ip"}
    with pytest.raises(PipelineError, match=f"cannot load IP-Adapter {weights}"):
        render(make_job(studio, diffusion_config(ipAdapter=narrow), seed=4))
    assert loaded_tiny_model(studio).ip_adapter is None
    assert render(make_job(studio, diffusion_config(), seed=4))[0] == plain
    assert render(make_job(studio, with_adapter(), seed=4))[0] == steered
