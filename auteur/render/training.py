"""Character LoRA training, from the studio's side: check, run on a worker, file the result.

`train_character_lora` is what the character sheet's training controls call. It checks the
character and the base model before anything runs, streams `character_lora_status` events
(training, with a fraction) on the project's bus, and files the trained ``.safetensors`` into
the character's ``lora/`` folder through the asset store (LFS-tracked, committed with
auto-commit), which sets ``loraModelPath`` and the completed status. A failure sets the
failed status and raises `TrainingError`. Training runs on the given cluster (a GPU worker, as
the tier's template asks), or in this process when no cluster is given.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..model import Character, CharacterLoraStatusEvent, LoraTrainingStatus, Quality, new_id
from ..storage import ProjectStore
from .contract import (
    JobCancelled,
    JobInput,
    LocalContext,
    PipelineConfig,
    PipelineError,
    RenderJob,
)
from .dispatcher import Dispatcher, offers
from .pipelines._diffusion.models import AI_MODELS_DIR
from .pipelines.lora_training import plan_training

if TYPE_CHECKING:
    from .cluster import RenderCluster

__all__ = ["TRAINING_PIPELINE", "TrainingError", "train_character_lora", "training_config"]

#: The entry point name of the training pipeline.
TRAINING_PIPELINE = "lora-training"
#: Tier parameters that also apply to training; the rest (steps, guidance...) are for renders.
_SHARED_PARAMETERS = ("model", "modelsDir", "device", "dtype")


class TrainingError(RuntimeError):
    """A LoRA could not be trained; the message says why."""


def training_config(tier: PipelineConfig) -> PipelineConfig:
    """The training pipeline for a quality tier: the same model, image and resources."""
    return PipelineConfig(
        pipeline_id=TRAINING_PIPELINE,
        runner=tier.runner,
        entry_point=TRAINING_PIPELINE,
        image=tier.image,
        command=tier.command,
        environment=dict(tier.environment),
        mounts=dict(tier.mounts),
        target_vram=tier.target_vram,
        use_case="character LoRA training",
        resources=dict(tier.resources),
        parameters={k: v for k, v in tier.parameters.items() if k in _SHARED_PARAMETERS},
        timeout=tier.timeout,
    )


def _character(store: ProjectStore, ref: str) -> Character:
    for character in store.project.assets.characters:
        if ref in (character.asset_id, character.name):
            return character
    raise TrainingError(f"no character {ref!r} in {store.project.name}")


def _inputs(store: ProjectStore, character: Character) -> list[JobInput]:
    paths = [ref.path for ref in character.reference_images]
    if character.base_face_image_path:
        paths.insert(0, character.base_face_image_path)
    inputs = []
    for path in dict.fromkeys(paths):
        file = store.path / path
        try:
            data = file.read_bytes()
        except OSError:
            raise TrainingError(f"reference image {path} of {character.name} is missing") from None
        inputs.append(JobInput(path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data)))
    if not inputs:
        raise TrainingError(f"{character.name} has no reference images to train a LoRA on")
    return inputs


def _job(
    store: ProjectStore,
    character: Character,
    config: PipelineConfig,
    parameters: Mapping[str, Any] | None,
    seed: int | None,
    shared: bool,
) -> RenderJob:
    inputs = _inputs(store, character)
    params = {
        "modelsDir": str(store.settings.workspace / AI_MODELS_DIR),
        **config.parameters,
        "triggerWord": character.trigger_word,
        "images": [item.path for item in inputs],
        **(parameters or {}),
    }
    job = RenderJob(
        job_id=new_id("job"),
        project_id=store.project.id,
        shot_id="",
        node_id=character.asset_id,
        pipeline=config,
        prompt={},
        parameters=params,
        seed=secrets.randbelow(2**31) if seed is None else seed,
        inputs=inputs,
        project_root=str(store.path),
    )
    try:
        plan_training(job)  # the model, trigger word and images, before any worker time
    except PipelineError as exc:
        raise TrainingError(f"cannot train a LoRA for {character.name}: {exc}") from None
    return job if shared else job.model_copy(update={"project_root": None})


def train_character_lora(
    store: ProjectStore,
    character: str,
    *,
    cluster: RenderCluster | None = None,
    quality: Quality | str | None = None,
    pipeline: PipelineConfig | None = None,
    parameters: Mapping[str, Any] | None = None,
    seed: int | None = None,
    on_progress: Callable[[float, str], None] | None = None,
    timeout: float | None = None,
) -> Character:
    """Train a LoRA for `character` (asset id or name) and file it; return the character.

    The base model is the one the `quality` tier's template names (default: the project's
    tier); `pipeline` replaces that configuration and `parameters` override its values
    (``steps``, ``rank``, ``learningRate``, ``resolution``, ``caption``, ``device``...). With a
    `cluster` the training runs on a worker offering the tier's resources; without one it runs
    in this process. Blocks until done: the studio calls it from a background thread and
    follows the ``character_lora_status`` events.
    """
    store.refresh()
    found = _character(store, character)
    if pipeline is None:
        tier = Dispatcher.from_settings(store.settings).config_for(quality or store.project.quality)
        pipeline = training_config(tier)
    if cluster is None:
        pipeline = pipeline.model_copy(update={"runner": "python"})
    shared = cluster is None or cluster.cluster is not None
    job = _job(store, found, pipeline, parameters, seed, shared)
    if cluster is not None and not any(
        offers(worker, pipeline.resources) for worker in cluster.worker_resources()
    ):
        raise TrainingError(
            f"no worker of the cluster offers {pipeline.resources or 'a slot'} for LoRA training"
        )
    previous = found.lora_training_status
    store.assets.set_lora_status(found.asset_id, LoraTrainingStatus.TRAINING, 0.0)

    def relay(fraction: float, step: str) -> None:
        store.emit(
            CharacterLoraStatusEvent(
                asset_id=found.asset_id, status=LoraTrainingStatus.TRAINING, progress=fraction
            )
        )
        if on_progress is not None:
            on_progress(fraction, step)

    try:
        if cluster is None:
            data = _run_here(job, relay)
        else:
            # Workers that cannot read the project get the images with the job.
            attached = (
                None
                if job.project_root
                else {i.sha256: (store.path / i.path).read_bytes() for i in job.inputs}
            )
            data = _run_on(cluster, job, attached, relay, timeout)
    except JobCancelled:
        store.assets.set_lora_status(found.asset_id, previous)
        raise
    except Exception as exc:
        store.assets.set_lora_status(found.asset_id, LoraTrainingStatus.FAILED)
        raise TrainingError(f"LoRA training of {found.name} failed: {exc}") from exc
    name = f"{found.trigger_word or found.name}.safetensors"
    store.assets.import_lora(found.asset_id, (name, data))
    store.refresh()
    return _character(store, found.asset_id)


def _run_here(job: RenderJob, relay: Callable[[float, str], None]) -> bytes:
    from .pipelines import run_pipeline

    context = LocalContext(job, on_progress=relay)
    try:
        return run_pipeline(job, context)[0].data
    finally:
        context.close()


def _run_on(
    cluster: RenderCluster,
    job: RenderJob,
    attached: dict[str, bytes] | None,
    relay: Callable[[float, str], None],
    timeout: float | None,
) -> bytes:
    from .tasks import JobChannel, run_render_job

    client = cluster.client
    channel = JobChannel(topic=f"auteur-training-{uuid.uuid4().hex[:12]}")
    done = threading.Event()

    def on_event(event: tuple[float, dict[str, Any]]) -> None:
        message = event[1]
        if message.get("job") == job.job_id and not done.is_set():
            relay(float(message.get("progress", 0.0)), str(message.get("step", "")))

    client.subscribe_topic(channel.topic, on_event)
    try:
        future = client.submit(
            run_render_job,
            job,
            attached,
            channel=channel,
            key=f"auteur-training-{job.job_id}",
            resources=dict(job.pipeline.resources) or None,
            pure=False,
        )
        result = future.result(timeout=timeout)
    finally:
        done.set()
        client.unsubscribe_topic(channel.topic)
    return result.outputs[0].data
