"""Benchmark: `TakeStore.add_take` throughput against a plain write-and-fsync of the same files.

Writes 1,000 takes of 200 KB, committing every 100 takes, and the same 1,000 files (the same
names in the same folders, outside the project) with a bare ``open``/``write``/``fsync`` as the
baseline. Prints takes per second for both, their
ratio with the commit time left out (target: within 3x of the baseline), and the commit time on
its own. Run it with ``make bench`` or ``python tests/bench/bench_takes.py [--takes N]``.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import tempfile
import time
from pathlib import Path

from PIL import Image

from auteur.config import load_settings
from auteur.model import Recipe
from auteur.model.address import shot_code
from auteur.storage import ProjectStore, Workspace
from auteur.storage.takes import take_folder, take_name

TARGET_RATIO = 3.0


def make_png(seed: int, size: int) -> bytes:
    """A real PNG of about `size` bytes: noise does not compress."""
    side = int((size / 3) ** 0.5)
    noise = random.Random(seed).randbytes(side * side * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), noise).save(out, "PNG", compress_level=0)
    return out.getvalue()


def write_and_fsync(paths: list[Path], payloads: list[bytes]) -> float:
    """The baseline: seconds to write each payload to a new file at its path and fsync it,
    making a folder the first time one is needed."""
    start = time.perf_counter()
    for path, data in zip(paths, payloads, strict=True):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        except FileNotFoundError:
            path.parent.mkdir(parents=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    return time.perf_counter() - start


def plain_paths(store: ProjectStore, plain: Path, shot_ids: list[str], count: int) -> list[Path]:
    """Where the takes will go (``03_Renders/Chapter_01/Scene_01/Shot_01/S01_S01_take01.png``
    and so on), under `plain` instead of the project: the same files, written by hand."""
    paths, made = [], dict.fromkeys(shot_ids, 0)
    for number in range(1, count + 1):
        shot_id = shot_ids[number % len(shot_ids)]
        found = store.locate(shot_id, "shot")
        assert found.scene is not None and found.shot is not None
        made[shot_id] += 1
        folder = take_folder(found.chapter.number, found.scene.number, found.shot.number)
        name = take_name(shot_code(found.scene, found.shot), made[shot_id], "png")
        paths.append(plain / folder / name)
    return paths


def run(tmp: Path, payloads: list[bytes], batch: int, scenes: int, shots: int) -> dict:
    """Add the takes in batches, each batch after the same files written the plain way.

    Interleaving the two keeps them under the same disk conditions (other work on the
    machine changes fsync times from one second to the next).
    """
    root = tmp / "workspace"
    settings = load_settings(root, auto_commit=False)
    store = Workspace(root, settings=settings).create_project("Bench Film")
    shot_ids = []
    for scene_number in range(scenes):
        scene = store.add_scene("1", f"Scene {scene_number + 1}")
        shot_ids += [store.add_shot(scene.id, f"Shot {n + 1}").id for n in range(shots)]
    paths = plain_paths(store, tmp / "plain", shot_ids, len(payloads))
    times = {"baseline": 0.0, "add_take": 0.0, "commit": 0.0, "commits": 0}
    written: list[str] = []
    for first in range(0, len(payloads), batch):
        chunk = payloads[first : first + batch]
        times["baseline"] += write_and_fsync(paths[first : first + batch], chunk)
        for number, data in enumerate(chunk, start=first + 1):
            recipe = Recipe(pipeline_id="bench", prompt="a diner at night", seed=number)
            shot_id = shot_ids[number % len(shot_ids)]
            start = time.perf_counter()
            take = store.takes.add_take(shot_id, data, recipe, commit=False)
            times["add_take"] += time.perf_counter() - start
            written.append(take.path)
        start = time.perf_counter()
        if store.takes.commit_pending():
            times["commits"] += 1
        times["commit"] += time.perf_counter() - start
    made = sum(len(store.takes.list(s, thumbnails=False)) for s in shot_ids)
    assert made == len(payloads), f"{made} takes registered, {len(payloads)} added"
    assert written == [p.relative_to(tmp / "plain").as_posix() for p in paths], "not the same files"
    assert store.git.is_clean(), "takes left uncommitted"
    return times


def report(title: str, n: int, times: dict) -> None:
    base, adding = times["baseline"], times["add_take"]
    committing, commits = times["commit"], int(times["commits"])
    print(title)
    print(f"  baseline write+fsync : {n / base:8.1f} takes/s  ({base:.2f} s)")
    print(f"  add_take             : {n / adding:8.1f} takes/s  ({adding:.2f} s, no commits)")
    ratio = adding / base
    verdict = "within" if ratio <= TARGET_RATIO else "over"
    print(f"  ratio                : {ratio:8.2f}x  ({verdict} the {TARGET_RATIO:g}x target)")
    each = committing / max(commits, 1)
    print(f"  commit time          : {committing:8.2f} s  ({commits} commits, {each:.2f} s each)")
    total = adding + committing
    print(f"  add_take + commits   : {n / total:8.1f} takes/s  ({total:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takes", type=int, default=1000, help="how many takes (1000)")
    parser.add_argument("--size", type=int, default=200_000, help="bytes per take (200000)")
    parser.add_argument("--batch", type=int, default=100, help="takes per commit (100)")
    args = parser.parse_args()

    payloads = [make_png(n, args.size) for n in range(args.takes)]
    size = sum(map(len, payloads)) / len(payloads) / 1000
    print(f"{args.takes} takes of {size:.0f} KB, a commit every {args.batch} takes")
    # All takes in one shot is the worst case: every take rewrites its scene's file, which
    # holds all of them. Spread over 10 scenes of 10 shots is closer to a real film.
    for title, scenes, shots in (
        ("all in one shot", 1, 1),
        ("spread over 10 scenes of 10 shots", 10, 10),
    ):
        with tempfile.TemporaryDirectory(prefix="auteur-bench-") as tmp:
            times = run(Path(tmp), payloads, args.batch, scenes, shots)
        report(title, args.takes, times)


if __name__ == "__main__":
    main()
