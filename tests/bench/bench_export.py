"""Benchmark: the animatic export against a plain ffmpeg encode of the same frames.

A project of 500 shots at 1080p, each with a still take of its own, is exported as an animatic
(no captions, no music). The same take files are then encoded by the ffmpeg command line
(concat demuxer, one image per shot for the shot's duration) with the same x264 preset and
quality. Both outputs are checked to have the same frame count; the ratio of the two times is
printed. Target: 1.3 or less.

    .venv/bin/python tests/bench/bench_export.py [--shots 500] [--frames 24] [--strict]
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import imageio_ffmpeg
from PIL import Image, ImageDraw

from auteur.config import load_settings
from auteur.export import export_animatic
from auteur.model import Recipe
from auteur.storage import ProjectStore, Workspace

TARGET = 1.3


def take_image(number: int, size: tuple[int, int]) -> bytes:
    """A distinct 1080p picture: a gradient, shapes and the shot's number."""
    width, height = size
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    hue = (number * 47) % 255
    draw.rectangle((width // 8, height // 6, width // 2, height // 2), fill=(hue, 90, 255 - hue))
    draw.ellipse(
        (width // 2, height // 3, width - width // 6, height - height // 8), fill=(40, hue, 90)
    )
    draw.text((width // 10, height - height // 5), f"SHOT {number:03d}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def build_project(root: Path, shots: int, frames: int, size: tuple[int, int]) -> ProjectStore:
    settings = load_settings(root, auto_commit=False)
    store = Workspace(root, settings=settings).create_project("Bench Film")
    store.update_project(fps=24, resolution=size)
    scenes_count = max(1, shots // 10)
    with store.transaction():
        scenes = [store.add_scene("1", f"Scene {n}") for n in range(1, scenes_count + 1)]
        made = [
            store.add_shot(scenes[n % scenes_count].id, f"Shot {n}", duration=frames)
            for n in range(shots)
        ]
    for number, shot in enumerate(made, start=1):
        store.takes.add_take(shot.id, take_image(number, size), Recipe(), commit=False)
    return store


def frame_count(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.demux(video=0) if _.size)


def plain_ffmpeg(store: ProjectStore, out: Path) -> float:
    """Encode the active takes with the ffmpeg command line; return the seconds it took."""
    fps = store.project.settings.fps
    lines = ["ffconcat version 1.0"]
    last = None
    for _, _, shot in store.iter_shots():
        take = next(t for t in shot.takes if t.id == shot.active_take)
        last = (store.path / take.path).as_posix()
        lines += [f"file '{last}'", f"duration {shot.duration / fps:.6f}"]
    lines.append(f"file '{last}'")  # the concat demuxer drops the last entry's duration
    listing = out.with_suffix(".txt")
    listing.write_text("\n".join(lines) + "\n")
    settings = store.settings
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-v", "error", "-y",
        "-f", "concat", "-safe", "0", "-i", str(listing),
        "-vf", f"fps={fps}",
        "-frames:v", str(sum(s.duration for _, _, s in store.iter_shots())),
        "-c:v", "libx264", "-preset", settings.export_video_preset,
        "-crf", str(settings.export_video_crf), "-pix_fmt", "yuv420p",
        str(out),
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=500)
    parser.add_argument("--frames", type=int, default=24, help="frames per shot")
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--strict", action="store_true", help="exit 1 when over the target")
    args = parser.parse_args()
    size = (args.width, args.height)
    with tempfile.TemporaryDirectory(prefix="auteur-bench-") as tmp:
        root = Path(tmp)
        shape = f"{args.shots} shots at {size[0]}x{size[1]}, {args.frames} frames each"
        print(f"building {shape}", flush=True)
        store = build_project(root / "workspace", args.shots, args.frames, size)
        expected = args.shots * args.frames

        start = time.perf_counter()
        animatic = export_animatic(store, captions=False, music=False)
        ours = time.perf_counter() - start

        baseline_path = root / "plain.mp4"
        baseline = plain_ffmpeg(store, baseline_path)

        counts = frame_count(animatic), frame_count(baseline_path)
        if counts != (expected, expected):
            print(f"frame counts differ: animatic {counts[0]}, ffmpeg {counts[1]}, want {expected}")
            return 1
        ratio = ours / baseline
        verdict = "meets" if ratio <= TARGET else "MISSES"
        print(f"frames:          {expected} ({expected / 24:.0f} s at 24 fps)")
        print(f"animatic export: {ours:8.2f} s  ({expected / ours:6.1f} frames/s)")
        print(f"plain ffmpeg:    {baseline:8.2f} s  ({expected / baseline:6.1f} frames/s)")
        print(f"ratio:           {ratio:8.2f}  ({verdict} the target of {TARGET})")
        return 1 if args.strict and ratio > TARGET else 0


if __name__ == "__main__":
    sys.exit(main())
