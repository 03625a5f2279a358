"""The demo project the studio creates on an empty workspace."""

from __future__ import annotations

from PIL import Image

from auteur.demo import DEMO_NAME, create_demo_project
from auteur.storage import Workspace


def test_demo_project_has_scenes_shots_characters_and_a_location(workspace: Workspace):
    store = create_demo_project(workspace)
    project = store.project
    assert project.name == DEMO_NAME
    assert [c.name for c in project.assets.characters] == ["Ava", "Leo"]
    assert [loc.name for loc in project.assets.locations] == ["Midnight Diner"]
    scenes = [s for c in project.narrative.chapters for s in c.scenes]
    assert len(scenes) >= 3
    shots = list(store.iter_shots())
    assert len(shots) >= 8
    diner = project.assets.locations[0].asset_id
    assert all(shot.location == diner for _, _, shot in shots)
    ava = project.assets.characters[0]
    assert ava.base_face_image_path
    with Image.open(store.path / ava.base_face_image_path) as face:
        assert face.size == (512, 512)
    assert set(ava.usage) <= {shot.id for _, _, shot in shots} and ava.usage
    first = shots[0][2]
    assert first.active_take is not None
    assert (store.path / first.takes[0].path).is_file()
    assert store.git.is_clean()
