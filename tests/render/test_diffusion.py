"""The diffusion pipeline on a tiny model built from configs, on the CPU."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from auteur.model import Character, ReferenceImage
from auteur.render import (
    JobInput,
    LocalContext,
    OutputSpec,
    PipelineConfig,
    PipelineError,
    RenderCluster,
    RenderError,
    RenderJob,
    assemble_prompt,
)
from auteur.render.pipelines import load_pipeline
from auteur.render.pipelines._diffusion.models import ModelInfo
from auteur.render.pipelines.diffusion import check_before_submit
from auteur.storage import ProjectStore
from tests.render.conftest import Recorder, add_file, png
from tests.render.tiny_model import foreign_lora, install_tiny_model

pytestmark = [
    # torch's tensors meet numpy 2's copy keyword inside diffusers' schedulers.
    pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning"),
]

DIFFUSION = "auteur.render.pipelines.diffusion:DiffusionPipeline"
FACE = "01_Assets/Characters/anna/base_face.png"


def diffusion_config(**parameters: object) -> PipelineConfig:
    """The diffusion pipeline on the CPU with the tiny model: 2 steps."""
    defaults = {"model": "tiny-sd", "steps": 2, "guidance": 5.0, "device": "cpu"}
    return PipelineConfig(
        pipeline_id="diffusion",
        entry_point=DIFFUSION,
        parameters={**defaults, **parameters},
    )


def anna_close_up(project: ProjectStore, **anna: object) -> ProjectStore:
    """Make `project` 64x64 with the tiny model in its workspace and a close-up of Anna;
    `anna` adds to her fields."""
    install_tiny_model(project.path.parent.parent)
    project.update_project(resolution=(64, 64))
    add_file(project, FACE, png((220, 170, 140), (64, 64)))
    with project.transaction() as p:
        p.assets.characters.append(
            Character(
                asset_id="char-anna",
                name="Anna",
                trigger_word="anna_v1",
                prompt_fragment="red coat",
                base_face_image_path=FACE,
                reference_images=[ReferenceImage(path=FACE, angle="front")],
                **anna,
            )
        )
        project.touch_manifest()
    project.add_scene("1", "Dawn at the harbour")
    project.add_shot("1/1", "Anna waits", framing="close-up", characters=["char-anna"])
    return project


@pytest.fixture
def studio(project: ProjectStore) -> ProjectStore:
    """A 64x64 project with the tiny model in its workspace and a close-up of Anna."""
    return anna_close_up(project)


def make_job(store: ProjectStore, config: PipelineConfig, seed: int = 7) -> RenderJob:
    """The job the render service would send for shot 1/1/1."""
    found = store.locate("1/1/1", "shot")
    assert found.scene is not None and found.shot is not None
    prompt = assemble_prompt(store.project, found.scene, found.shot)
    inputs = []
    for path in prompt.resource_paths():
        data = (store.path / path).read_bytes()
        inputs.append(JobInput(path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data)))
    return RenderJob(
        job_id="job-test",
        project_id=store.project.id,
        shot_id=found.shot.id,
        node_id=found.shot.id,
        pipeline=config,
        prompt=prompt.to_data(),
        parameters=dict(config.parameters),
        seed=seed,
        output=OutputSpec(width=64, height=64),
        inputs=inputs,
        project_root=str(store.path),
    )


def render(job: RenderJob) -> tuple[bytes, dict, list[tuple[float, str]]]:
    context = LocalContext(job)
    outputs = load_pipeline(job.pipeline).run(job, context)
    return outputs[0].data, outputs[0].metadata, context.reports


def test_a_shot_renders_a_64px_take_on_a_worker_with_progress_per_step(
    studio: ProjectStore, cpu_cluster: RenderCluster, make_service
) -> None:
    recorder = Recorder()
    studio.bus.subscribe(recorder)
    service = make_service(studio, cpu_cluster)
    handle = service.submit("1/1/1", pipeline=diffusion_config(), seed=11)
    status = handle.wait(timeout=120)
    assert status.state == "succeeded", status.error
    [take] = handle.takes
    with Image.open(studio.path / take.path) as image:
        assert image.size == (64, 64)
    steps = [e.step for e in recorder.of("task_progress", handle.job_id)]
    assert "denoising step 1/2" in steps and "denoising step 2/2" in steps
    # The recipe reproduces the take: model digest, scheduler, steps, guidance and seed.
    model = ModelInfo(studio.path.parent.parent / "Library" / "AI_Models" / "tiny-sd")
    recipe = take.recipe
    assert recipe.seed == 11
    assert recipe.parameters["modelSha256"] == model.sha256
    assert recipe.parameters["scheduler"] == "EulerDiscreteScheduler"
    assert (recipe.parameters["steps"], recipe.parameters["guidance"]) == (2, 5.0)
    assert recipe.parameters["loras"] == []


def test_the_same_seed_gives_the_same_image(studio: ProjectStore) -> None:
    first, metadata, reports = render(make_job(studio, diffusion_config(), seed=3))
    again, _, _ = render(make_job(studio, diffusion_config(), seed=3))
    other, _, _ = render(make_job(studio, diffusion_config(), seed=4))
    assert first == again
    assert first != other
    assert (metadata["width"], metadata["height"]) == (64, 64)
    assert [step for _, step in reports if step.startswith("denoising")] == [
        "denoising step 1/2",
        "denoising step 2/2",
    ]
    fractions = [fraction for fraction, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.mark.parametrize(
    ("parameters", "size"),
    [
        ({}, (64, 64)),  # the project's resolution
        ({"width": 48, "height": 32}, (48, 32)),  # the tier's own size
        ({"scale": 0.5, "width": 100}, (48, 32)),  # halved, then down to multiples of 8
    ],
)
def test_the_tier_and_project_set_the_size(
    studio: ProjectStore, parameters: dict, size: tuple[int, int]
) -> None:
    data, metadata, _ = render(make_job(studio, diffusion_config(**parameters)))
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == size == (metadata["width"], metadata["height"])


def test_a_scheduler_can_be_named(studio: ProjectStore) -> None:
    _, metadata, _ = render(make_job(studio, diffusion_config(scheduler="DDIMScheduler")))
    assert metadata["recipe"]["scheduler"] == "DDIMScheduler"
    with pytest.raises(PipelineError, match="unknown scheduler 'Nope'"):
        render(make_job(studio, diffusion_config(scheduler="Nope")))


def test_a_missing_model_is_named_in_the_error(studio: ProjectStore) -> None:
    missing = studio.path.parent.parent / "Library" / "AI_Models" / "sdxl-missing"
    with pytest.raises(PipelineError, match=f"diffusion model {missing} is missing"):
        render(make_job(studio, diffusion_config(model="sdxl-missing")))
    not_a_model = missing.with_name("notes")
    not_a_model.mkdir()
    with pytest.raises(PipelineError, match=f"{not_a_model} is not a diffusers model"):
        render(make_job(studio, diffusion_config(model="notes")))


def with_lora(store: ProjectStore, path: str) -> None:
    with store.transaction() as p:
        p.assets.characters[0].lora_model_path = path
        store.touch_manifest()


def test_a_missing_lora_is_named_in_the_error(studio: ProjectStore) -> None:
    lora = "01_Assets/Characters/anna/lora/anna.safetensors"
    foreign_lora(studio.path / lora, 32)
    with_lora(studio, lora)
    job = make_job(studio, diffusion_config())
    (studio.path / lora).unlink()
    with pytest.raises(PipelineError, match=f"input {lora} is not readable"):
        render(job)  # on a worker sharing the workspace
    travelling = job.model_copy(update={"project_root": None})
    with pytest.raises(PipelineError, match=f"input {lora} did not travel"):
        render(travelling)  # on a remote worker
    with pytest.raises(PipelineError, match=f"{lora} is not an input"):
        render(job.model_copy(update={"inputs": []}))


def test_a_lora_for_another_base_model_is_refused_before_loading(studio: ProjectStore) -> None:
    lora = "01_Assets/Characters/anna/lora/sdxl.safetensors"
    foreign_lora(studio.path / lora, 2048)  # an SDXL-wide text encoder
    with_lora(studio, lora)
    with pytest.raises(PipelineError, match=f"LoRA {lora} was trained for a different base"):
        render(make_job(studio, diffusion_config()))


def run_in_fresh_interpreter(job: RenderJob) -> list[str]:
    """Run `job` through the diffusion pipeline in a new interpreter; return what it printed:
    the error, then whether torch was imported."""
    code = (
        "import sys\n"
        "from auteur.render import LocalContext, RenderJob\n"
        "from auteur.render.pipelines.diffusion import DiffusionPipeline\n"
        "job = RenderJob.model_validate_json(sys.stdin.read())\n"
        "try:\n"
        "    DiffusionPipeline().run(job, LocalContext(job))\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=job.model_dump_json(by_alias=True),
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    return result.stdout.splitlines()


def test_errors_come_before_torch_loads(studio: ProjectStore) -> None:
    """A bad model costs no GPU time: the job is refused before torch is imported."""
    job = make_job(studio, diffusion_config(model="missing"))
    assert run_in_fresh_interpreter(job) == [
        f"PipelineError diffusion model {Path(studio.path).parent.parent}"
        "/Library/AI_Models/missing is missing: put a diffusers folder or a .safetensors file "
        "there (the workspace's Library/AI_Models)",
        "False",
    ]


def test_the_studio_can_check_a_job_before_submitting_it(studio: ProjectStore) -> None:
    workspace = studio.path.parent.parent
    job = make_job(studio, diffusion_config()).model_copy(update={"project_root": None})
    check_before_submit(job, studio.path, workspace)  # the tiny model is there
    with pytest.raises(PipelineError, match="AI_Models/sdxl is missing"):
        check_before_submit(
            make_job(studio, diffusion_config(model="sdxl")), studio.path, workspace
        )
    previz = job.model_copy(update={"pipeline": PipelineConfig(pipeline_id="previz")})
    check_before_submit(previz, studio.path, workspace / "elsewhere")  # not a diffusion job


def test_the_render_service_refuses_a_missing_model_before_any_worker_time(
    studio: ProjectStore, cpu_cluster: RenderCluster, make_service
) -> None:
    recorder = Recorder()
    studio.bus.subscribe(recorder)
    service = make_service(studio, cpu_cluster)
    with pytest.raises(
        RenderError, match=r"cannot render S01_S01: diffusion model .*/sdxl is missing"
    ):
        service.submit("1/1/1", pipeline=diffusion_config(model="sdxl"))
    lora = "01_Assets/Characters/anna/lora/sdxl.safetensors"
    foreign_lora(studio.path / lora, 2048)
    with_lora(studio, lora)
    with pytest.raises(RenderError, match=f"LoRA {lora} was trained for a different base"):
        service.submit("1/1/1", pipeline=diffusion_config())
    # Nothing reached the cluster: no job was made and no task started.
    assert service.jobs() == []
    assert recorder.of("start_generation") == []


def test_a_workspace_without_the_models_can_leave_the_check_to_the_workers(
    studio: ProjectStore, cpu_cluster: RenderCluster, make_service
) -> None:
    settings = studio.settings.model_copy(update={"render_check_models": False})
    service = make_service(studio, cpu_cluster, settings=settings)
    handle = service.submit("1/1/1", pipeline=diffusion_config(model="sdxl"))
    status = handle.wait(timeout=60)
    assert status.state == "failed"
    assert "AI_Models/sdxl is missing" in (status.error or "")


def test_torch_loads_only_when_a_diffusion_job_runs() -> None:
    code = (
        "import sys\n"
        "import auteur.model, auteur.storage, auteur.cli, auteur.render\n"
        "import auteur.render.pipelines.diffusion, auteur.render.pipelines.lora_training\n"
        "import auteur.render.training\n"
        "print(sorted(m for m in ('torch', 'diffusers', 'transformers', 'peft') "
        "if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    assert result.stdout.strip() == "[]"
