"""Every project is a git repository, with media committed as git-lfs pointers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from auteur.config import load_settings
from auteur.storage import GitError, GitService, ProjectStore, check_git_tools

pytestmark = pytest.mark.git

LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def git(store: ProjectStore, *args: str) -> str:
    """Run the git command line in the project, as a user would."""
    done = subprocess.run(
        ["git", *args], cwd=store.path, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_a_fresh_project_is_committed_and_clean(project: ProjectStore):
    assert project.git.is_clean()
    assert project.git.status() == []
    (commit,) = project.git.log()
    assert commit.message == "Create project Test Film"
    assert project.git.head() == commit.sha
    tracked = set(git(project, "ls-files").split())
    assert {"project.json", ".gitignore", ".gitattributes", "03_Renders/.gitkeep"} <= tracked
    assert git(project, "branch", "--show-current").strip() == "main"


def test_repository_settings(project: ProjectStore):
    config = (project.path / ".git" / "config").read_text()
    assert '[filter "lfs"]' in config  # git lfs install --local
    assert "process = git-lfs filter-process" in config
    # Its hooks too: installing them runs alongside the project's first commit.
    for hook in ("pre-push", "post-checkout", "post-commit", "post-merge"):
        assert "git lfs" in (project.path / ".git" / "hooks" / hook).read_text(), hook
    assert git(project, "config", "--local", "core.fsync").strip() == "committed,index"
    assert git(project, "config", "--local", "core.fsyncMethod").strip() == "fsync"


@pytest.mark.parametrize(
    "path",
    [
        "05_Cache/thumbs/a.jpg",  # regenerated, never committed
        "06_Exports/film.mp4",
        ".DS_Store",  # OS junk
        "01_Assets/Characters/.DS_Store",
        "Thumbs.db",
        "desktop.ini",
        "02_Source_Creative/Scripts/draft.fountain~",
        ".project.json.1234abcd.auteur-tmp",  # an interrupted write
    ],
)
def test_gitignore(project: ProjectStore, path: str):
    target = project.path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"x")
    assert project.git.is_clean(), f"{path} should be ignored"


@pytest.mark.parametrize(
    "name",
    [
        "take.png",
        "take.PNG",  # any case
        "still.jpg",
        "still.Jpg",
        "still.jpeg",
        "plate.exr",
        "matte.psd",
        "shot.mp4",
        "shot.MP4",
        "line.wav",
        "face.safetensors",
        "model.ckpt",
        "weights.pt",
        "weights.PT",
    ],
)
def test_media_goes_through_lfs(project: ProjectStore, name: str):
    out = git(project, "check-attr", "filter", "diff", "merge", "--", f"03_Renders/{name}")
    assert f"03_Renders/{name}: filter: lfs" in out
    assert f"03_Renders/{name}: diff: lfs" in out


@pytest.mark.parametrize("name", ["project.json", "notes.md", "script.fountain", "list.csv"])
def test_text_stays_in_git(project: ProjectStore, name: str):
    out = git(project, "check-attr", "filter", "--", name)
    assert out.strip().endswith("filter: unspecified")


def test_committed_media_is_an_lfs_pointer(project: ProjectStore):
    for name in ("take_001.png", "TAKE_002.PNG"):
        (project.path / "03_Renders" / name).write_bytes(PNG)
    sha = project.commit("Add takes")
    assert sha is not None and len(sha) == 40
    for name in ("take_001.png", "TAKE_002.PNG"):
        stored = project.git.show("HEAD", f"03_Renders/{name}")
        assert stored.startswith(LFS_POINTER), stored[:60]
        assert b"size %d" % len(PNG) in stored
        assert (project.path / "03_Renders" / name).read_bytes() == PNG  # the file stays real
    assert set(git(project, "lfs", "ls-files", "--name-only").split()) == {
        "03_Renders/take_001.png",
        "03_Renders/TAKE_002.PNG",
    }
    assert project.git.is_clean()


def test_commit_status_log_and_restore(project: ProjectStore):
    assert project.commit("Nothing to do") is None
    project.add_chapter("Coda")
    notes = project.path / "04_Project_Files" / "notes.md"
    notes.write_text("first\n")
    status = {e.path: e.code for e in project.git.status()}
    assert status["project.json"] == " M"
    assert status["04_Project_Files/notes.md"] == "??"
    first = project.commit("Add coda and notes")
    assert first is not None and project.git.is_clean()

    notes.write_text("second\n")
    second = project.commit("Rewrite notes")
    history = project.git.log("04_Project_Files/notes.md")
    assert [c.message for c in history] == ["Rewrite notes", "Add coda and notes"]
    assert [c.sha for c in history] == [second, first]
    assert history[0].date.tzinfo is not None and history[0].author
    assert len(project.git.log()) == 3
    assert len(project.git.log(limit=1)) == 1

    project.git.restore("04_Project_Files/notes.md", first)
    assert notes.read_text() == "first\n"
    assert [e.code for e in project.git.status()] == [" M"]
    assert project.git.show(first, "04_Project_Files/notes.md") == b"first\n"


def test_status_reports_renames_and_names_with_spaces(project: ProjectStore):
    (project.path / "04_Project_Files" / "a b.txt").write_text("content")
    project.commit("Add")
    git(project, "mv", "04_Project_Files/a b.txt", "04_Project_Files/c d.txt")
    (entry,) = project.git.status()
    assert entry.code == "R " and entry.path == "04_Project_Files/c d.txt"


def test_restoring_an_unknown_revision_is_an_error(project: ProjectStore):
    with pytest.raises(GitError, match="git restore"):
        project.git.restore("project.json", "0" * 40)
    with pytest.raises(GitError, match=r"nope\.txt at HEAD"):
        project.git.show("HEAD", "nope.txt")


def test_a_stale_index_lock_is_reported_clearly(project: ProjectStore):
    lock = project.path / ".git" / "index.lock"
    lock.write_text("")  # left behind by a git that crashed
    (project.path / "04_Project_Files" / "notes.md").write_text("x")
    with pytest.raises(GitError) as info:
        project.commit("Blocked")
    message = str(info.value)
    assert str(lock) in message
    assert "delete that file" in message
    lock.unlink()
    assert project.commit("Unblocked") is not None


def test_a_folder_without_git_is_reported(tmp_path: Path):
    service = GitService(tmp_path, load_settings(tmp_path))
    with pytest.raises(GitError, match="is not a git repository"):
        service.status()


def test_tools_are_found(git_tools: None):
    git_check, lfs_check = check_git_tools()
    assert git_check.ok and git_check.version.startswith("git version")
    assert lfs_check.ok and lfs_check.version.startswith("git-lfs/")


CREATE_AND_COMMIT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from auteur.storage import Workspace
    store = Workspace(Path(sys.argv[1])).create_project("No Identity")
    (store.path / "03_Renders" / "take.png").write_bytes(b"png bytes")
    store.commit("Add a take")
    print(json.dumps({
        "clean": store.git.is_clean(),
        "log": [[c.message, c.author] for c in store.git.log()],
        "pointer": store.git.show("HEAD", "03_Renders/take.png").decode().splitlines()[0],
    }))
    """
)


def test_commits_work_without_a_git_identity(tmp_path: Path, git_tools: None):
    home = tmp_path / "empty-home"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "AUTEUR_")) and k not in ("EMAIL", "XDG_CONFIG_HOME")
    }
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1")
    probe = subprocess.run(
        ["git", "config", "--get", "user.email"], env=env, capture_output=True, check=False
    )
    assert probe.returncode != 0, "the test needs git to have no identity"
    done = subprocess.run(
        [sys.executable, "-c", CREATE_AND_COMMIT, str(tmp_path / "ws")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["clean"]
    assert result["log"] == [["Add a take", "Auteur"], ["Create project No Identity", "Auteur"]]
    assert result["pointer"] == LFS_POINTER.decode()
