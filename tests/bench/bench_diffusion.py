"""Benchmark: the diffusion pipeline's per-step overhead against diffusers called directly.

Both render the same prompt on the same tiny model (built from configs, on the CPU): the
wrapper through `DiffusionPipeline.run` (model checks, LoRA bookkeeping, progress per step,
PNG encoding), the reference through the diffusers pipeline object itself. Runs alternate and
the medians are compared per denoising step. Target ratio ≤ 1.1.

Run it with ``make bench`` or ``python tests/bench/bench_diffusion.py [--steps N --runs N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from auteur.render import LocalContext, OutputSpec, PipelineConfig, RenderJob  # noqa: E402
from auteur.render.pipelines.diffusion import DiffusionPipeline  # noqa: E402
from tests.render.tiny_model import save_tiny_model  # noqa: E402

TARGET = 1.1
PROMPT = "a photo of anna_v1, close-up, red coat, at harbour, dawn"


def bench(steps: int, runs: int, size: int) -> None:
    import torch
    from diffusers import DiffusionPipeline as Diffusers

    warnings.filterwarnings("ignore", "__array__ implementation", DeprecationWarning)
    with tempfile.TemporaryDirectory(prefix="auteur-bench-diffusion-") as folder:
        models = Path(folder)
        save_tiny_model(models / "tiny-sd")
        job = RenderJob(
            job_id="job-bench",
            project_id="bench",
            shot_id="shot",
            node_id="shot",
            pipeline=PipelineConfig(pipeline_id="diffusion", entry_point="diffusion"),
            prompt={"text": PROMPT, "characters": []},
            parameters={
                "model": "tiny-sd",
                "modelsDir": str(models),
                "steps": steps,
                "guidance": 5.0,
                "device": "cpu",
            },
            seed=1,
            output=OutputSpec(width=size, height=size),
        )
        wrapper = DiffusionPipeline()
        direct = Diffusers.from_pretrained(models / "tiny-sd", local_files_only=True)
        direct.set_progress_bar_config(disable=True)

        def run_wrapper() -> float:
            started = time.perf_counter()
            wrapper.run(job, LocalContext(job))
            return time.perf_counter() - started

        def run_direct() -> float:
            started = time.perf_counter()
            with torch.inference_mode():
                direct(
                    PROMPT,
                    num_inference_steps=steps,
                    guidance_scale=5.0,
                    width=size,
                    height=size,
                    generator=torch.Generator("cpu").manual_seed(1),
                )
            return time.perf_counter() - started

        run_wrapper(), run_direct()  # warm up: model load, first-call allocations
        wrapped, plain = [], []
        for index in range(runs):
            # Alternate which goes first, so neither gains from a warmer cache.
            if index % 2:
                plain.append(run_direct())
                wrapped.append(run_wrapper())
            else:
                wrapped.append(run_wrapper())
                plain.append(run_direct())
    per_step_wrapped = statistics.median(wrapped) / steps * 1000
    per_step_plain = statistics.median(plain) / steps * 1000
    ratio = per_step_wrapped / per_step_plain
    verdict = "OK" if ratio <= TARGET else "ABOVE TARGET"
    print(
        f"diffusion per-step time, {size}x{size}, {steps} steps, median of {runs}: wrapper "
        f"{per_step_wrapped:.2f} ms, diffusers {per_step_plain:.2f} ms, ratio {ratio:.3f} "
        f"(target <= {TARGET}) {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    bench(args.steps, args.runs, args.size)


if __name__ == "__main__":
    main()
