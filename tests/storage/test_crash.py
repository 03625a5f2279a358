"""A SIGKILL at any moment of a save leaves a project that opens and validates."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from auteur.storage import ProjectStore, validate_project
from auteur.storage._atomic import is_temp_file

pytestmark = [pytest.mark.git, pytest.mark.slow]

#: Kills of a process editing a project; the issue asks for at least 100.
EDIT_KILLS = 120
#: Kills of a process replacing one large file over and over.
WRITE_KILLS = 30

# A helper process imports Auteur once, then forks a worker for each kill: a fork starts in
# about a millisecond where a new interpreter takes a second, which keeps the test short. It
# kills the worker itself, before reaping it, so it never signals a process that is not its own.
HELPER = textwrap.dedent(
    r"""
    import os, random, select, signal, sys, time, traceback
    from pathlib import Path
    from auteur.model import NarrativeStructure, builtin_template
    from auteur.storage import ProjectStore, atomic_write

    STRUCTURES = list(NarrativeStructure)

    def edit(store, rng):
        project = store.project
        chapters = project.narrative.chapters
        scenes = [(c, s) for c in chapters for s in c.scenes if s.title != "Canary"]
        shots = [(s, h) for _, s in scenes for h in s.shots]
        roll = rng.random()
        if len(shots) > 120:
            store.remove(rng.choice(shots)[1].id, force=True)
        elif len(chapters) > 10:
            empty = [c for c in chapters if not c.scenes]
            store.remove(rng.choice(empty).id if empty else chapters[-1].id, force=True)
        elif not scenes or roll < 0.1:
            chapter = rng.choice(chapters)
            store.add_scene(chapter.id, f"Scene {rng.randrange(1000)}", "d" * rng.randrange(3000))
        elif roll < 0.35 or not shots:
            scene = rng.choice(scenes)[1]
            store.add_shot(scene.id, "x" * rng.randrange(1, 4000), duration=rng.randrange(1, 500))
        elif roll < 0.5:
            shot = rng.choice(shots)[1]
            framing = rng.choice(["wide", "close-up", None])
            store.update(shot.id, description="u" * rng.randrange(1, 4000), framing=framing)
        elif roll < 0.65:
            shot, target = rng.choice(shots)[1], rng.choice(scenes)[1]
            store.move(shot.id, rng.randrange(1, len(target.shots) + 2), parent=target.id)
        elif roll < 0.72:
            store.remove(rng.choice(shots)[1].id, force=True)
        elif roll < 0.77:
            store.remove(rng.choice(scenes)[1].id, force=True)
        elif roll < 0.83:
            scene, target = rng.choice(scenes)[1], rng.choice(chapters)
            store.move(scene.id, rng.randrange(1, len(target.scenes) + 2), parent=target.id)
        elif roll < 0.9:
            structure = rng.choice(STRUCTURES)
            store.set_structure(structure, builtin_template(structure))
        elif roll < 0.95:
            store.rename(rng.choice(chapters).id, f"Chapter {rng.randrange(1000)}")
        else:
            store.update_project(quality=rng.choice(["low", "standard", "high"]))

    def edit_forever(path, rng, ready):
        store = ProjectStore.open(path)
        os.write(ready, b"r")
        while True:
            edit(store, rng)

    def write_forever(path, rng, ready):
        contents = [b"a" * 1_000_000, b"b" * 1_500_000]
        os.write(ready, b"r")
        while True:
            atomic_write(path, contents[rng.randrange(2)])

    WORK = {"edit": edit_forever, "write": write_forever}

    while line := sys.stdin.readline():
        mode, path, seed, delay = line.split()
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            try:
                WORK[mode](Path(path), random.Random(int(seed)), ready_w)
            except BaseException:
                traceback.print_exc()
            os._exit(1)
        os.close(ready_w)
        readable, _, _ = select.select([ready_r], [], [], 60)
        started = bool(readable) and os.read(ready_r, 1) == b"r"
        os.close(ready_r)
        if started:
            time.sleep(float(delay))
        os.kill(pid, signal.SIGKILL)  # not yet reaped: pid is still our child
        _, status = os.waitpid(pid, 0)
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        print("killed" if started and killed else f"failed {status}", flush=True)
    """
)


class Killer:
    """Talks to the helper process: start a worker, let it run a while, SIGKILL it."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HELPER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def kill_after(self, mode: str, path: Path, seed: int, delay: float) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{mode} {path} {seed} {delay:.4f}\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        if answer != "killed":
            self.process.kill()
            _, err = self.process.communicate(timeout=30)
            pytest.fail(f"the worker did not run until killed ({answer!r}):\n{err}")

    def close(self) -> None:
        """End the helper (its input ends) and close the pipes."""
        with self.process:  # closes the pipes, then waits for the helper to exit
            assert self.process.stdin is not None
            self.process.stdin.close()


@pytest.fixture
def killer() -> Iterator[Killer]:
    helper = Killer()
    try:
        yield helper
    finally:
        helper.close()


def test_sigkill_during_edits_leaves_a_valid_project(project: ProjectStore, killer: Killer):
    canary_scene = project.add_scene("1", "Canary")  # the worker never touches it
    for i in range(3):
        project.add_shot("1/1", f"canary {i}", duration=10 + i)
    canary = [s.to_data() for s in project.locate(canary_scene.id).scene.shots]
    project.add_scene("2", "Busy")
    rng = random.Random(20250102)
    leftovers = 0
    for kill in range(EDIT_KILLS):
        killer.kill_after("edit", project.path, rng.randrange(2**32), rng.uniform(0, 0.06))
        leftovers += any(is_temp_file(p) for p in project.path.rglob("*"))
        try:
            store = ProjectStore.open(project.path)
        except Exception as exc:
            pytest.fail(f"after kill {kill + 1}, the project does not open: {exc}")
        assert validate_project(project.path) == [], f"after kill {kill + 1}"
        shots = [s.to_data() for s in store.locate(canary_scene.id).scene.shots]
        assert shots == canary, f"after kill {kill + 1}, untouched shots changed"
    # The next save sweeps what interrupted writes left behind.
    store = ProjectStore.open(project.path)
    store.add_shot(canary_scene.id, "after the storm")
    assert [p for p in project.path.rglob("*") if is_temp_file(p)] == []
    assert validate_project(project.path) == []
    print(f"{EDIT_KILLS} kills, {leftovers} of them in the middle of a file write")


def test_sigkill_during_atomic_writes_leaves_old_or_new(tmp_path: Path, killer: Killer):
    path = tmp_path / "big.json"
    path.write_bytes(b"a" * 1_000_000)
    rng = random.Random(7)
    for kill in range(WRITE_KILLS):
        killer.kill_after("write", path, rng.randrange(2**32), rng.uniform(0, 0.05))
        content = path.read_bytes()
        assert content in (b"a" * 1_000_000, b"b" * 1_500_000), f"after kill {kill + 1}"
