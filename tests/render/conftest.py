"""Fixtures for the render tests: small real clusters, a film with assets, render services."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from auteur.config import load_settings
from auteur.model import Character, Location, ReferenceImage, Style
from auteur.render import RenderCluster, RenderService, WorkerSpec
from auteur.storage import ProjectStore


@pytest.fixture(scope="package")
def cpu_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RenderCluster]:
    """Two worker processes, neither with a GPU."""
    settings = load_settings(tmp_path_factory.mktemp("cpu-cluster"), render_dashboard_address="")
    specs = [WorkerSpec("cpu-0", nthreads=1), WorkerSpec("cpu-1", nthreads=1)]
    with RenderCluster.start(settings, workers=specs) as cluster:
        yield cluster


@pytest.fixture(scope="package")
def gpu_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RenderCluster]:
    """Two worker processes: one tagged GPU=1 (with two threads), one without a GPU."""
    settings = load_settings(tmp_path_factory.mktemp("gpu-cluster"), render_dashboard_address="")
    specs = [
        WorkerSpec("gpu-0", nthreads=2, resources={"GPU": 1}),
        WorkerSpec("cpu-0", nthreads=1),
    ]
    with RenderCluster.start(settings, workers=specs) as cluster:
        yield cluster


def png(colour: tuple[int, int, int], size: tuple[int, int] = (32, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def add_file(store: ProjectStore, relative: str, data: bytes) -> str:
    path = store.path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return relative


@pytest.fixture
def film(project: ProjectStore) -> ProjectStore:
    """A low-tier, small-frame project with a character (face and LoRA), a location, a style
    and shots.

    Scene 1/1 holds three shots: a close-up of Anna, a wide shot of Anna and Ben at the harbour,
    and an insert.
    """
    project.update_project(quality="low", resolution=(320, 180))
    face = add_file(project, "01_Assets/Characters/anna/base_face.png", png((220, 170, 140)))
    side = add_file(project, "01_Assets/Characters/anna/references/left.png", png((200, 150, 120)))
    lora = add_file(project, "01_Assets/Characters/anna/lora/anna.safetensors", b"lora weights")
    harbour = add_file(project, "01_Assets/Locations/harbour/dawn.png", png((30, 60, 200)))
    with project.transaction() as p:
        p.assets.characters += [
            Character(
                asset_id="char-anna",
                name="Anna",
                trigger_word="anna_v1",
                prompt_fragment="red coat",
                base_face_image_path=face,
                lora_model_path=lora,
                lora_strength=0.9,
                reference_images=[ReferenceImage(path=side, angle="left")],
            ),
            Character(asset_id="char-ben", name="Ben"),
        ]
        p.assets.locations.append(
            Location(asset_id="loc-harbour", name="Harbour", reference_images=[harbour])
        )
        p.assets.styles.append(
            Style(asset_id="style-noir", name="Noir", keywords=["film noir"], palette=["#102030"])
        )
        project.touch_manifest()
    project.add_scene("1", "Dawn at the harbour")
    project.add_shot("1/1", "Anna waits", framing="close-up", characters=["char-anna"])
    project.add_shot(
        "1/1",
        "Anna meets Ben",
        framing="wide",
        characters=["char-anna", "char-ben"],
        location="loc-harbour",
        style="style-noir",
    )
    project.add_shot("1/1", "A letter on the table", framing="insert")
    return project


@pytest.fixture
def make_service() -> Iterator[Callable[..., RenderService]]:
    """Factory: a render service of a store on a cluster, closed after the test."""
    services: list[RenderService] = []

    def make(store: ProjectStore, cluster: RenderCluster, **options: Any) -> RenderService:
        service = RenderService(store, cluster, **options)
        services.append(service)
        return service

    yield make
    for service in services:
        service.close()


@dataclass
class Recorder:
    """Every event published on a bus, with the time it arrived."""

    events: list[tuple[float, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, event: Any) -> None:
        with self.lock:
            self.events.append((time.time(), event))

    def of(self, kind: str, task_id: str | None = None) -> list[Any]:
        with self.lock:
            return [
                e
                for _, e in self.events
                if e.type == kind and (task_id is None or getattr(e, "task_id", None) == task_id)
            ]

    def timed(self, kind: str, task_id: str | None = None) -> list[tuple[float, Any]]:
        with self.lock:
            return [
                (t, e)
                for t, e in self.events
                if e.type == kind and (task_id is None or getattr(e, "task_id", None) == task_id)
            ]

    def wait_for(self, check: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out; events so far: {[e.type for _, e in self.events]}"
                )
            time.sleep(0.01)


@pytest.fixture
def recorder(film: ProjectStore) -> Recorder:
    """Records every event of the `film` project."""
    recorder = Recorder()
    film.bus.subscribe(recorder)
    return recorder


def take_files(store: ProjectStore) -> list[Path]:
    """Every take file on disk (recipes left out)."""
    renders = store.path / "03_Renders"
    return sorted(
        p
        for p in renders.rglob("*")
        if p.is_file() and p.suffix != ".json" and not p.name.startswith(".")
    )
