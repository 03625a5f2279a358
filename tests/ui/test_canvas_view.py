"""The canvas view without a browser: generating from a render node uses the node's settings."""

from __future__ import annotations

import pytest

from auteur.config import load_settings
from auteur.storage import ProjectStore, Workspace
from auteur.ui import RenderEngine, Studio
from tests.ui.helpers import wait_for


@pytest.mark.slow
def test_a_render_nodes_pipeline_override_is_the_one_submitted(
    workspace: Workspace, project: ProjectStore
) -> None:
    project.update_project(quality="low", resolution=(96, 64))
    scene = project.add_scene("1", "Diner")
    shot = project.add_shot(scene.id, "Ava at the counter")
    settings = load_settings(
        workspace.root, render_gpus=0, render_cpu_workers=1, render_dashboard_address=""
    )
    app = Studio(workspace, engine=RenderEngine(settings))
    try:
        app.session.open_project(project.path)
        store = app.session.store
        node = store.canvas.add_node(scene.id, "shot", shot.id)
        # On this machine the low tier renders previz; the node asks for the standard pipeline,
        # which needs a GPU worker: the failure names it, so the override was what ran.
        store.canvas.update_node(node["id"], pipeline="auteur-flux:1.0-standard")
        app.canvas.generate(node["id"])

        def finished():
            tasks = [t for t in app.session.tasks.tasks.values() if t.node_id == node["id"]]
            return next((t for t in tasks if t.done), None)

        task = wait_for(finished, timeout=60, interval=0.2, what="the node's render to end")
        assert task.status == "error"
        assert "auteur-flux:1.0-standard" in task.error
        assert store.takes.list(shot.id) == []
    finally:
        app.session.close_project()
        app.session.engine.close()
