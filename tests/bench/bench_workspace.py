"""Benchmark of the project workspace: opening a large project, durable edits, memory,
creating projects and listing a workspace with each project's git status.

Run it as a plain script (`make bench` does): ``python tests/bench/bench_workspace.py``.
It works in a temporary folder, prints each figure with its target, and exits non-zero when a
result is wrong (a fresh project that is not clean, an edit that is not on disk). A target
missed is printed as FAIL; figures vary with the machine's load, so rerun before concluding.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auteur.config import load_settings
from auteur.model import Chapter, Character, Location, Project, Scene, Style
from auteur.storage import PROJECT_FILE, SCENES_DIR, ProjectStore, Workspace
from auteur.storage.manifest import SceneFile, dump_manifest, dump_scene, scene_file

CHAPTERS, SCENES, SHOTS, TAKES = 20, 25, 20, 10
FRAMINGS = ["wide", "medium", "close-up", "over-the-shoulder", "extreme-close-up"]
PIPELINES = ["sdxl-character", "flux-dev", "svd-motion"]


@dataclass
class Figure:
    """One measured figure and its target."""

    name: str
    value: float
    unit: str
    target: float

    @property
    def passed(self) -> bool:
        return self.value <= self.target

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        value, target = f"{self.value:,.1f} {self.unit}", f"<= {self.target:g} {self.unit}"
        return f"  {self.name:<44} {value:>12}   target {target:<12} {verdict}"


def timed(action: Callable[[], Any]) -> float:
    """Seconds `action` takes."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


# ---------------------------------------------------------------- a large project


def take_data(shot_id: str, number: int, rng_seed: int, assets: dict[str, str]) -> dict[str, Any]:
    """A take as the render service records it: file, hash, size and the full recipe."""
    seed = (rng_seed * 7919 + number) % 2**32
    path = f"03_Renders/Chapter_{shot_id[-9:-6]}/{shot_id}/take_{number:03d}.png"
    prompt = (
        "cinematic still, Mara in a rain-soaked trench coat on a rooftop at dusk, neon "
        "reflections on wet concrete, 35mm anamorphic, shallow depth of field, film grain"
    )
    return {
        "id": f"take-{hashlib.md5(f'{shot_id}{number}'.encode()).hexdigest()[:12]}",
        "number": number,
        "path": path,
        "created": "2025-03-14T09:26:53Z",
        "sha256": hashlib.sha256(f"{path}{seed}".encode()).hexdigest(),
        "metadata": {"width": 1344, "height": 768, "format": "PNG", "bytes": 1_843_221},
        "recipe": {
            "pipelineId": PIPELINES[number % len(PIPELINES)],
            "quality": "standard",
            "prompt": prompt,
            "compositePrompt": {
                "positive": prompt,
                "negative": "blurry, lowres, extra fingers, watermark",
                "loras": [{"path": assets["lora"], "weight": 0.8, "trigger": "marav1"}],
                "ipAdapter": {"images": [assets["face"]], "scale": 0.6},
            },
            "seed": seed,
            "parameters": {
                "steps": 30,
                "cfg": 6.5,
                "sampler": "dpmpp_2m_karras",
                "width": 1344,
                "height": 768,
            },
            "sourceAssets": {assets["face"]: hashlib.sha256(assets["face"].encode()).hexdigest()},
            "generatedAt": "2025-03-14T09:26:41Z",
        },
    }


def build_large_project(store: ProjectStore) -> int:
    """Write a 20 x 25 x 20 x 10 project into `store`'s folder; return its size in bytes."""
    project: Project = store.project
    mara = Character(name="Mara", trigger_word="marav1")
    roof = Location(name="Rooftop")
    noir = Style(name="Neo-noir", keywords=["neon", "rain"])
    project.assets.characters.append(mara)
    project.assets.locations.append(roof)
    project.assets.styles.append(noir)
    assets = {
        "lora": "01_Assets/Characters/Mara/lora/model.safetensors",
        "face": "01_Assets/Characters/Mara/base_face.png",
    }
    project.narrative.chapters = []
    (store.path / SCENES_DIR).mkdir(parents=True, exist_ok=True)
    size = 0
    for c in range(1, CHAPTERS + 1):
        chapter = Chapter(number=c, title=f"Chapter {c}", description="Where it turns.")
        for s in range(1, SCENES + 1):
            scene = Scene(number=s, title=f"Scene {c}.{s}", description="Night, rain, neon.")
            shots = []
            for h in range(1, SHOTS + 1):
                shot_id = f"shot-{c:03d}{s:03d}{h:03d}"
                takes = [take_data(shot_id, n, c * s * h, assets) for n in range(1, TAKES + 1)]
                shots.append(
                    {
                        "id": shot_id,
                        "number": h,
                        "title": f"Shot {h}",
                        "description": "Mara crosses the rooftop and looks down at the city.",
                        "framing": FRAMINGS[h % len(FRAMINGS)],
                        "duration": 48 + h,
                        "characters": [mara.asset_id],
                        "location": roof.asset_id,
                        "style": noir.asset_id,
                        "activeTake": takes[-1]["id"],
                        "takes": takes,
                    }
                )
            scene.shots = SceneFile.model_validate({"sceneId": scene.id, "shots": shots}).shots
            data = dump_scene(scene)
            scene_file(store.path, scene.id).write_bytes(data)
            size += len(data)
            for shot in scene.shots:
                mara.usage.append(shot.id)
                roof.usage.append(shot.id)
                noir.usage.append(shot.id)
            chapter.scenes.append(scene)
        project.narrative.chapters.append(chapter)
    manifest = dump_manifest(project)
    (store.path / PROJECT_FILE).write_bytes(manifest)
    return size + len(manifest)


# Peak memory of the process's own address space: VmHWM restarts at exec, where ru_maxrss
# would count the parent this process was forked from. After opening, it reads every take too.
PEAK_RSS = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    from auteur.storage import ProjectStore

    def peak_kib():
        status = Path("/proc/self/status")
        if status.exists():
            line = next(x for x in status.read_text().splitlines() if x.startswith("VmHWM:"))
            return int(line.split()[1])
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # bytes on macOS

    store = ProjectStore.open(sys.argv[1])
    assert sum(1 for _ in store.iter_shots()) == int(sys.argv[2])
    opened = peak_kib()
    start = time.perf_counter()
    takes = sum(len(list(shot.takes)) for _, _, shot in store.iter_shots())
    print(json.dumps({"open": opened, "takes": takes, "all": peak_kib(),
                      "all_s": time.perf_counter() - start}))
    """
)


def bench_large_project(root: Path, opens: int, edits: int) -> tuple[list[Figure], list[str]]:
    workspace = Workspace(root, settings=load_settings(root))
    store = workspace.create_project("Large Film")
    started = time.perf_counter()
    with_gc_off(lambda: build_large_project(store))
    size = sum(p.stat().st_size for p in [store.path / PROJECT_FILE, *scene_dir(store).iterdir()])
    print(
        f"  generated {CHAPTERS * SCENES * SHOTS * TAKES:,} takes, {size / 1e6:.0f} MB "
        f"in {CHAPTERS * SCENES + 1} files, in {time.perf_counter() - started:.1f} s"
    )
    files = [store.path / PROJECT_FILE, *sorted(scene_dir(store).iterdir())]
    problems: list[str] = []

    gc.collect()
    json_times = [timed(lambda: [json.loads(f.read_bytes()) for f in files]) for _ in range(opens)]
    open_times = []
    for _ in range(opens):
        gc.collect()
        open_times.append(timed(lambda: ProjectStore.open(store.path)))
    json_s, open_s = statistics.median(json_times), statistics.median(open_times)
    print(
        f"  json.loads of all its files: {json_s:.2f} s; open / json.loads = {open_s / json_s:.3f} "
        "(opening reads the manifest and the shots; each shot's takes are read on first use)"
    )

    opened = ProjectStore.open(store.path)
    edit_times = []
    for i in range(edits):
        address = f"{1 + i % CHAPTERS}/{1 + (7 * i) % SCENES}/{1 + (3 * i) % SHOTS}"
        text = f"Edit {i}: Mara hesitates at the edge."
        edit_times.append(timed(lambda a=address, t=text: opened.update(a, description=t)))
        scene = opened.locate(address).scene
        on_disk = json.loads(scene_file(store.path, scene.id).read_bytes())
        if on_disk["shots"][(3 * i) % SHOTS]["description"] != text:
            problems.append(f"edit {i} of {address} is not on disk")

    done = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, str(store.path), str(CHAPTERS * SCENES * SHOTS)],
        capture_output=True,
        text=True,
        check=False,
    )
    peak_mb = float("nan")
    if done.returncode != 0:
        problems.append(f"opening in a fresh process failed: {done.stderr}")
    else:
        memory = json.loads(done.stdout)
        peak_mb = memory["open"] / 1024
        if memory["takes"] != CHAPTERS * SCENES * SHOTS * TAKES:
            problems.append(f"read {memory['takes']} takes back")
        print(
            f"  reading every take after opening: {memory['all_s']:.2f} s more, "
            f"peak RSS {memory['all'] / 1024:,.0f} MB (no target: takes are read on first use)"
        )

    figures = [
        Figure("open 100,000 takes (median)", open_s * 1e3, "ms", 1000),
        Figure(
            "one durable edit to one shot (median)", statistics.median(edit_times) * 1e3, "ms", 50
        ),
        Figure("peak RSS of opening, fresh process", peak_mb, "MB", 500),
    ]
    return figures, problems


def scene_dir(store: ProjectStore) -> Path:
    return store.path / SCENES_DIR


def with_gc_off(action: Callable[[], Any]) -> Any:
    """Run `action` without the cyclic collector, which slows building many objects."""
    gc.disable()
    try:
        return action()
    finally:
        gc.enable()


# ---------------------------------------------------------------- many small projects


def bench_workspace(
    root: Path, creates: int, projects: int, lists: int
) -> tuple[list[Figure], list[str]]:
    workspace = Workspace(root, settings=load_settings(root))
    problems: list[str] = []
    create_times = []
    for i in range(projects):
        name = f"Short Film {i:03d}"
        start = time.perf_counter()
        store = workspace.create_project(name, structure=["three-act", "hero-journey"][i % 2])
        elapsed = time.perf_counter() - start
        if i < creates:
            create_times.append(elapsed)
            if not store.git.is_clean():
                problems.append(f"{name} is not clean right after its creation")
    list_times, summaries = [], []
    for _ in range(lists):
        start = time.perf_counter()
        summaries = workspace.list_projects()
        list_times.append(time.perf_counter() - start)
    if len(summaries) != projects:
        problems.append(f"listed {len(summaries)} projects instead of {projects}")
    dirty = [s.name for s in summaries if s.git_status != "clean"]
    if dirty:
        problems.append(f"fresh projects reported as not clean: {', '.join(dirty[:5])}")
    print(f"  {len(summaries)} projects listed, {len(summaries) - len(dirty)} clean")
    figures = [
        Figure(
            f"create a project, git and LFS (median of {creates})",
            statistics.median(create_times) * 1e3,
            "ms",
            150,
        ),
        Figure(
            f"list {projects} projects with git status (median)",
            statistics.median(list_times) * 1e3,
            "ms",
            300,
        ),
    ]
    return figures, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=3, help="opens of the large project")
    parser.add_argument("--edits", type=int, default=9, help="durable edits to time")
    parser.add_argument("--creates", type=int, default=20, help="project creations to time")
    parser.add_argument("--projects", type=int, default=100, help="projects in the workspace")
    parser.add_argument("--lists", type=int, default=5, help="workspace listings to time")
    parser.add_argument("--dir", type=Path, default=None, help="where to work (a temp folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="auteur-bench-", dir=args.dir) as temp:
        print("Large project (20 chapters x 25 scenes x 20 shots x 10 takes)")
        large, problems = bench_large_project(Path(temp) / "large", args.opens, args.edits)
        print("Workspace")
        small, more = bench_workspace(
            Path(temp) / "many", min(args.creates, args.projects), args.projects, args.lists
        )
    figures = large + small
    print("Results")
    for figure in figures:
        print(figure.line())
    missed = [f.name for f in figures if not f.passed]
    for problem in problems + more:
        print(f"  WRONG: {problem}")
    print(f"{len(figures) - len(missed)} of {len(figures)} targets met")
    return 1 if problems + more else 0


if __name__ == "__main__":
    sys.exit(main())
