"""Several processes editing one project: nothing lost, stale writes refused, locks reported."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from auteur.config import load_settings
from auteur.storage import ProjectLockedError, ProjectStore, StaleWriteError

pytestmark = pytest.mark.git

ADD_SHOTS = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from auteur.storage import ProjectStore
    project, tag, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    store = ProjectStore.open(project)
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.001)
    for i in range(20):
        store.add_shot("1/1", f"{tag}-{i:02d}")
    """
)

RUN = textwrap.dedent(
    """
    import sys
    from auteur.storage import ProjectStore
    store = ProjectStore.open(sys.argv[1])
    exec(sys.argv[2])
    """
)


def python(*args: str) -> list[str]:
    return [sys.executable, "-c", *args]


def in_other_process(store: ProjectStore, code: str) -> None:
    """Run `code` with a `store` of its own in another process."""
    done = subprocess.run(
        python(RUN, str(store.path), code), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_two_processes_adding_shots_lose_none(project: ProjectStore, tmp_path: Path):
    project.add_scene("1", "Busy scene")
    go = tmp_path / "go"
    children = [
        subprocess.Popen(
            python(ADD_SHOTS, str(project.path), tag, str(go)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("a", "b")
    ]
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        go.touch()  # both start at once
        for child in children:
            _, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
    finally:
        for child in children:
            with child:  # closes its pipes
                if child.poll() is None:
                    child.kill()

    shots = ProjectStore.open(project.path).locate("1/1").scene.shots
    descriptions = [s.description for s in shots]
    assert len(shots) == 40
    assert sorted(descriptions) == sorted(f"{t}-{i:02d}" for t in "ab" for i in range(20))
    for tag in "ab":  # each process's shots keep their order
        mine = [d for d in descriptions if d.startswith(tag)]
        assert mine == sorted(mine)
    assert [s.number for s in shots] == list(range(1, 41))
    assert len({s.id for s in shots}) == 40


def test_a_stale_expected_revision_is_refused(project: ProjectStore):
    seen = project.revision
    in_other_process(project, "store.add_chapter('From elsewhere')")
    with pytest.raises(StaleWriteError) as info:
        project.add_chapter("Mine", expected_revision=seen)
    message = str(info.value)
    assert f"changed since revision {seen}" in message and "reload it" in message
    titles = [c.title for c in ProjectStore.open(project.path).project.narrative.chapters]
    assert "Mine" not in titles and "From elsewhere" in titles
    # The store caught up while refusing: with the revision it now has, the change goes in.
    assert [c.title for c in project.project.narrative.chapters][-1] == "From elsewhere"
    project.add_chapter("Mine", expected_revision=project.revision)
    assert [c.title for c in ProjectStore.open(project.path).project.narrative.chapters][-2:] == [
        "From elsewhere",
        "Mine",
    ]


@pytest.mark.parametrize(
    "command",
    [
        lambda store, rev: store.update("1/1/1", expected_revision=rev, description="x"),
        lambda store, rev: store.move("1/1/1", 1, parent="2/1", expected_revision=rev),
        lambda store, rev: store.remove("1/1/1", expected_revision=rev),
        lambda store, rev: store.add_scene("1", "C", expected_revision=rev),
        lambda store, rev: store.update_project(quality="high", expected_revision=rev),
    ],
    ids=["update", "move", "remove", "add_scene", "update_project"],
)
def test_every_command_checks_the_revision(project: ProjectStore, command: Callable):
    project.add_scene("1", "A")
    project.add_scene("2", "B")
    project.add_shot("1/1", "a")
    seen = project.revision
    in_other_process(project, "store.add_shot('1/1', 'b')")
    before = ProjectStore.open(project.path).project.to_data()
    with pytest.raises(StaleWriteError):
        command(project, seen)
    assert ProjectStore.open(project.path).project.to_data() == before


def test_changes_of_another_process_are_seen_and_merged(project: ProjectStore):
    project.add_scene("1", "A")
    project.add_shot("1/1", "mine")
    in_other_process(
        project,
        "store.add_shot('1/1', 'theirs'); store.rename('1', 'Renamed elsewhere');"
        "store.add_scene('2', 'Their scene')",
    )
    assert project.refresh() is True
    assert project.project.narrative.chapters[0].title == "Renamed elsewhere"
    assert [s.description for s in project.locate("1/1").scene.shots] == ["mine", "theirs"]
    assert project.refresh() is False  # nothing new

    # Without a refresh, the next command first catches up, then applies its change.
    in_other_process(project, "store.add_shot('1/1', 'theirs again')")
    project.add_shot("1/1", "mine again")
    in_other_process(project, "store.update('2/1', description='edited elsewhere')")
    project.rename("1/1", "Scene A")
    saved = ProjectStore.open(project.path)
    assert [s.description for s in saved.locate("1/1").scene.shots] == [
        "mine",
        "theirs",
        "theirs again",
        "mine again",
    ]
    assert saved.locate("1/1").item.title == "Scene A"
    assert saved.locate("2/1").item.description == "edited elsewhere"
    assert saved.project.to_data() == project.project.to_data()


def test_a_scene_removed_elsewhere_is_noticed(project: ProjectStore):
    project.add_scene("1", "A")
    project.add_shot("1/1", "a")
    in_other_process(project, "store.remove('1/1', force=True)")
    project.add_scene("1", "B")
    saved = ProjectStore.open(project.path).project
    assert [s.title for s in saved.narrative.chapters[0].scenes] == ["B"]


HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from auteur.storage import ProjectStore
    store = ProjectStore.open(sys.argv[1])
    with store.transaction():
        print("locked", flush=True)
        time.sleep(60)
    """
)


def test_a_held_lock_times_out_with_a_clear_error(project: ProjectStore):
    with subprocess.Popen(
        python(HOLD_LOCK, str(project.path)), stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            impatient = ProjectStore.open(project.path, load_settings(lock_timeout=0.3))
            started = time.monotonic()
            with pytest.raises(ProjectLockedError) as info:
                impatient.add_chapter("Blocked")
            assert time.monotonic() - started < 5
            message = str(info.value)
            assert message.startswith("Test_Film is locked by another process")
            assert "waited 0.3 s" in message and "auteur.lock" in message
        finally:
            holder.kill()
    # A lock dies with its process: nothing stale is left to clear by hand.
    impatient.add_chapter("After the holder died")
    assert impatient.project.narrative.chapters[-1].title == "After the holder died"
