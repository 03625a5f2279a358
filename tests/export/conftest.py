"""A small cut to export: still, video and missing takes, dialogue and a music track."""

from __future__ import annotations

import io
import math
import struct
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from auteur.model import DialogueLine, Recipe
from auteur.storage import ProjectStore

FPS = 12
SIZE = (320, 180)
#: Shot durations in frames, by scene: 1/1 has three shots, 1/2 one.
DURATIONS = [[10, 7, 6], [5]]
VIDEO_TAKE_FRAMES = 5


def png(colour: tuple[int, int, int], size: tuple[int, int] = (64, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def mp4(path: Path, frames: int, colour: tuple[int, int, int]) -> Path:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 64, 36, "yuv420p"
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(
                np.full((36, 64, 3), colour, dtype=np.uint8), format="rgb24"
            )
            frame.pts, frame.time_base = index, Fraction(1, FPS)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def wav(path: Path, seconds: float, rate: int = 22_050) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        samples = (
            int(8000 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(int(rate * seconds))
        )
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


@pytest.fixture
def cut(project: ProjectStore, tmp_path: Path) -> ProjectStore:
    """Scene 1/1: a still take (red, square), a video take (green, 5 frames) and no take;
    scene 1/2: one shot with no take. 12 fps at 320x180."""
    store = project
    store.update_project(fps=FPS, resolution=SIZE)
    shots = []
    for index, durations in enumerate(DURATIONS, start=1):
        scene = store.add_scene("1", f"Scene {index}")
        for number, frames in enumerate(durations, start=1):
            shot = store.add_shot(scene.id, f"Shot {index}.{number} description", duration=frames)
            shots.append(shot)
    with store.transaction():
        found = store.locate(shots[0].id, "shot")
        assert found.shot is not None and found.scene is not None
        found.shot.dialogue = [DialogueLine(speaker="Ava", text="We should go.")]
        store.touch_scene(found.scene)
    store.takes.add_take(shots[0].id, png((220, 20, 20)), Recipe(), commit=False)
    video = mp4(tmp_path / "take.mp4", VIDEO_TAKE_FRAMES, (20, 200, 20))
    store.takes.add_take(shots[1].id, video, Recipe(), ext="mp4", commit=False)
    return store


@pytest.fixture
def music(cut: ProjectStore, tmp_path: Path) -> str:
    """A music asset with a 10-second track; its name."""
    asset = cut.assets.create("music", "Theme")
    cut.assets.add_track(asset.asset_id, wav(tmp_path / "theme.wav", 10.0))
    return asset.name
