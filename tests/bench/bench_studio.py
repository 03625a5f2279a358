"""Benchmark: the studio in Chromium on a project of 1,000 shots.

The real server (``auteur studio``) serves a workspace holding one project of 1,000 shots
(100 scenes of 10 shots). Chromium opens the project from the gallery several times, then clicks
shots in the project tree and measures, inside the page, the time from the click until the
inspector shows the clicked shot. Targets: the tree is visible 2 s or less after clicking Open;
a click updates the inspector in 150 ms or less (median).

    .venv/bin/python tests/bench/bench_studio.py [--shots 1000] [--clicks 40] [--strict]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from auteur.config import load_settings
from auteur.storage import ProjectStore, Workspace
from tests.support import require_tool
from tests.ui.helpers import DEEP_QUERY_JS, StudioServer, launch_chromium

OPEN_TARGET = 2.0
CLICK_TARGET = 0.150
NAME = "Benchmark Thousand Shots"

#: Clicks a tree row and waits, frame by frame, until the inspector names the same item.
CLICK_JS = """
async (id) => {
  const row = window.auteurDeep(`[data-node-id="${id}"]`);
  if (!row) throw new Error(`no tree row ${id}`);
  const header = window.auteurDeep("[data-inspector-id]");
  const root = header ? header.getRootNode() : document;
  const wanted = `[data-inspector-id="${id}"]`;
  const started = performance.now();
  row.click();
  while (!root.querySelector(wanted) && !window.auteurDeep(wanted)) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    if (performance.now() - started > 10000) throw new Error(`inspector never showed ${id}`);
  }
  return performance.now() - started;
}
"""

#: Clicks Open on the project's card and waits until the tree shows the project's chapters.
OPEN_JS = """
async (name) => {
  const open = window.auteurDeep(`button[aria-label="Open ${name}"]`);
  if (!open) throw new Error("no Open button");
  const started = performance.now();
  open.click();
  while (window.auteurDeep("[role=treeitem][data-kind=scene]") === null) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    if (performance.now() - started > 30000) throw new Error("the tree never showed");
  }
  return performance.now() - started;
}
"""


def build_project(workspace: Workspace, shots: int, per_scene: int) -> ProjectStore:
    """A three-act project of `shots` shots, written in one transaction."""
    store = workspace.create_project(NAME, "low", "three-act")
    scenes = max(1, shots // per_scene)
    with store.transaction():  # commands inside it are written together, once
        for index in range(scenes):
            chapter = str(1 + index * 3 // scenes)
            scene = store.add_scene(chapter, f"Scene {index + 1}", "A scene of the benchmark")
            for number in range(per_scene):
                store.add_shot(scene.id, f"Shot {number + 1} of scene {index + 1}: a wide view")
    store.commit("Benchmark project")
    return store


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--per-scene", type=int, default=10)
    parser.add_argument("--clicks", type=int, default=40)
    parser.add_argument("--opens", type=int, default=3)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    chromium = require_tool("chromium")

    with tempfile.TemporaryDirectory(prefix="auteur-bench-studio-") as tmp:
        root = Path(tmp) / "workspace"
        workspace = Workspace(root, settings=load_settings(root))
        started = time.perf_counter()
        store = build_project(workspace, args.shots, args.per_scene)
        built = time.perf_counter() - started
        count = sum(1 for _ in store.iter_shots())
        print(
            f"project: {count} shots in {len(store.project.narrative.chapters)} chapters, "
            f"built in {built:.1f} s"
        )

        with StudioServer(root) as server, sync_playwright() as playwright:
            browser = launch_chromium(playwright, chromium)
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.add_init_script(f"({DEEP_QUERY_JS})()")
            opens = []
            for _ in range(args.opens):
                page.goto(server.url)
                page.get_by_role("button", name=f"Open {NAME}").wait_for()
                opens.append(page.evaluate(OPEN_JS, NAME) / 1000)

            # Expand scenes in different chapters, then click their shots in turn.
            scenes = [s for c in store.project.narrative.chapters for s in c.scenes]
            chosen = scenes[:: max(1, len(scenes) // 4)][:4]
            for scene in chosen:
                page.locator(f"[data-node-id='{scene.id}'] .au-twisty").click()
                page.locator(f"[data-node-id='{scene.shots[-1].id}']").wait_for()
            targets = [shot.id for scene in chosen for shot in scene.shots]
            clicks = []
            for index in range(args.clicks + 3):
                elapsed = page.evaluate(CLICK_JS, targets[(index * 7) % len(targets)]) / 1000
                if index >= 3:  # the first clicks warm up the forms
                    clicks.append(elapsed)
            browser.close()

    open_worst = max(opens)
    p50, p95 = statistics.median(clicks), percentile(clicks, 0.95)
    open_ok, click_ok = open_worst <= OPEN_TARGET, p50 <= CLICK_TARGET
    print(
        f"open project → tree visible: {', '.join(f'{t:.2f}' for t in opens)} s "
        f"(worst {open_worst:.2f} s; target ≤ {OPEN_TARGET:.1f} s) "
        f"{'PASS' if open_ok else 'FAIL'}"
    )
    print(
        f"click shot → inspector: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {max(clicks) * 1000:.0f} ms over {len(clicks)} clicks "
        f"(target p50 ≤ {CLICK_TARGET * 1000:.0f} ms) {'PASS' if click_ok else 'FAIL'}"
    )
    return 1 if args.strict and not (open_ok and click_ok) else 0


if __name__ == "__main__":
    sys.exit(main())
