"""The embedded cluster: one worker per GPU, CPU workers, the dashboard."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from auteur.config import load_settings
from auteur.render import ClusterError, RenderCluster
from auteur.render.cluster import detect_gpus, gpu_ids, local_worker_specs


def test_one_worker_per_gpu_pinned_to_it_then_the_cpu_workers(tmp_path: Path):
    settings = load_settings(tmp_path, render_gpus=2, render_cpu_workers=1, render_worker_threads=2)
    specs = local_worker_specs(settings)
    assert [(s.name, s.resources, s.env, s.nthreads) for s in specs] == [
        ("gpu-0", {"GPU": 1}, {"CUDA_VISIBLE_DEVICES": "0"}, 2),
        ("gpu-1", {"GPU": 1}, {"CUDA_VISIBLE_DEVICES": "1"}, 2),
        ("cpu-0", {}, {}, 2),
    ]


def test_gpus_follow_cuda_visible_devices(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    assert detect_gpus() == ["3", "5"]
    assert gpu_ids(load_settings(tmp_path, render_gpus=1)) == ["3"]
    assert gpu_ids(load_settings(tmp_path, render_gpus=0)) == []
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")  # the usual way to hide every GPU
    assert detect_gpus() == []


def test_a_machine_without_gpus_gets_cpu_workers_only(tmp_path: Path):
    specs = local_worker_specs(load_settings(tmp_path, render_cpu_workers=2), gpus=[])
    assert [s.name for s in specs] == ["cpu-0", "cpu-1"]
    assert all(s.resources == {} for s in specs)


def test_an_embedded_cluster_without_workers_is_refused(tmp_path: Path):
    settings = load_settings(tmp_path, render_gpus=0, render_cpu_workers=0)
    with pytest.raises(ClusterError, match="no workers"):
        RenderCluster.start(settings)


@pytest.mark.slow
def test_the_embedded_cluster_exposes_its_dashboard(tmp_path: Path):
    settings = load_settings(
        tmp_path,
        render_gpus=0,
        render_cpu_workers=1,
        render_dashboard_address="127.0.0.1:0",
    )
    with RenderCluster.start(settings) as cluster:
        assert [w.name for w in cluster.workers()] == ["cpu-0"]
        assert cluster.worker_resources() == [{}]
        link = cluster.dashboard_link
        assert link is not None and link.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(link, timeout=30) as page:
            assert page.status == 200
