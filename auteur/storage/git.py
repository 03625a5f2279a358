"""Each project is a git repository, with media stored through git-lfs."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

# Without git installed, GitPython raises at import; Auteur reports the missing tool instead.
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

import git as gitpython

from ..config import Settings

__all__ = [
    "LFS_PATTERNS",
    "CommitInfo",
    "GitError",
    "GitService",
    "StatusEntry",
    "ToolCheck",
    "check_git_tools",
    "gitattributes_text",
    "gitignore_text",
]

#: File types sent through git-lfs: images, video, audio, EXR, PSD and model weights.
LFS_PATTERNS = [
    "png",
    "jpg",
    "jpeg",
    "gif",
    "webp",
    "bmp",
    "tif",
    "tiff",
    "exr",
    "hdr",
    "psd",
    "kra",
    "mp4",
    "mov",
    "mkv",
    "webm",
    "avi",
    "mxf",
    "m4v",
    "wav",
    "mp3",
    "flac",
    "ogg",
    "oga",
    "aac",
    "m4a",
    "aif",
    "aiff",
    "safetensors",
    "ckpt",
    "pt",
    "pth",
    "onnx",
    "gguf",
]

#: For commands that only read: git then takes no optional locks (and writes no index).
_READ_ONLY_GIT = {"GIT_OPTIONAL_LOCKS": "0"}
_IGNORED = [
    "# Regenerated from sources; never committed.",
    "/05_Cache/",
    "/06_Exports/",
    "# Interrupted writes and editor or OS junk.",
    ".*.auteur-tmp",
    ".DS_Store",
    "._*",
    "Thumbs.db",
    "desktop.ini",
    "*~",
    "*.swp",
    "__pycache__/",
    ".ipynb_checkpoints/",
]


def _any_case(ext: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in ext)


def gitattributes_text() -> str:
    """The `.gitattributes` of a new project: media through LFS, case-insensitively."""
    lines = ["# Media and model weights are stored with git-lfs."]
    lines += [f"*.{_any_case(ext)} filter=lfs diff=lfs merge=lfs -text" for ext in LFS_PATTERNS]
    lines += ["*.json text eol=lf", "*.fountain text eol=lf", "*.md text eol=lf"]
    return "\n".join(lines) + "\n"


def gitignore_text() -> str:
    """The `.gitignore` of a new project."""
    return "\n".join(_IGNORED) + "\n"


class GitError(RuntimeError):
    """A git operation failed; the message says what to do about it."""


@dataclass(frozen=True)
class ToolCheck:
    """Whether a command-line tool is usable, and how to get it if not."""

    name: str
    ok: bool
    version: str = ""
    problem: str = ""
    fix: str = ""


def _run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


@functools.cache
def check_git_tools() -> tuple[ToolCheck, ToolCheck]:
    """Check that git and git-lfs are installed and that git-lfs works."""
    if shutil.which("git") is None:
        missing = "install it with your package manager (Debian/Ubuntu: apt-get install git)"
        git_check = ToolCheck("git", False, problem="git is not installed", fix=missing)
    else:
        git_check = ToolCheck("git", True, version=_run(["git", "--version"]).stdout.strip())
    if not git_check.ok:
        lfs = ToolCheck("git-lfs", False, problem="needs git", fix="install git first")
        return git_check, lfs
    done = _run(["git", "lfs", "version"])
    if done.returncode != 0:
        lfs = ToolCheck(
            "git-lfs",
            False,
            problem="git-lfs is not installed; media cannot be committed",
            fix="install git-lfs (Debian/Ubuntu: apt-get install git-lfs)",
        )
    else:
        lfs = ToolCheck("git-lfs", True, version=done.stdout.strip())
    return git_check, lfs


@functools.cache
def _has_identity() -> bool:
    done = _run(["git", "config", "--get", "user.email"])
    return done.returncode == 0 and bool(done.stdout.strip())


@dataclass(frozen=True)
class StatusEntry:
    """One changed path: its two-letter porcelain code and the path."""

    code: str
    path: str


@dataclass(frozen=True)
class CommitInfo:
    """A commit that touched a path."""

    sha: str
    author: str
    date: datetime
    message: str


class GitService:
    """Git operations on one project. Uses the git command line so that LFS filters apply."""

    def __init__(self, path: Path, settings: Settings) -> None:
        self.path = Path(path)
        self.settings = settings
        self._repo: gitpython.Repo | None = None

    @property
    def repo(self) -> gitpython.Repo:
        if self._repo is None:
            try:
                self._repo = gitpython.Repo(self.path)
            except (gitpython.InvalidGitRepositoryError, gitpython.NoSuchPathError):
                raise GitError(f"{self.path} is not a git repository") from None
            if not _has_identity():
                self._repo.git.update_environment(**self._identity_env())
        return self._repo

    def _identity_env(self) -> dict[str, str]:
        name, email = self.settings.git_user_name, self.settings.git_user_email
        return {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
        }

    def _git(self, *args: str) -> str:
        try:
            return self.repo.git.execute(["git", *args])
        except gitpython.GitCommandError as exc:
            raise self._explain(exc, args) from None

    def _read(self, *args: str) -> str:
        """Run a git command that only reads, straight from the git command line.

        Listing a workspace asks every project for its status, so this skips opening the
        repository through GitPython, and git's optional index refresh: the command takes no
        lock, never holds up a commit, and runs about a third faster.
        """
        if not (self.path / ".git").exists():
            raise GitError(f"{self.path} is not a git repository")
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=self.path,
                env={**os.environ, **_READ_ONLY_GIT},
                capture_output=True,
                encoding="utf-8",
                errors="surrogateescape",
                check=False,
            )
        except OSError as exc:
            raise GitError(f"git {' '.join(args[:2])} cannot run in {self.path}: {exc}") from None
        if done.returncode:
            stderr = done.stderr.strip()
            raise GitError(f"git {' '.join(args[:2])} failed in {self.path}: {stderr}")
        return done.stdout

    def _explain(self, exc: gitpython.GitCommandError, args: tuple[str, ...]) -> GitError:
        stderr = (exc.stderr or "").strip()
        lock = self.path / ".git" / "index.lock"
        if "index.lock" in stderr or lock.exists():
            return GitError(
                f"git in {self.path} is locked by {lock}: another git command is running, or one "
                "crashed. If no git command is running, delete that file and try again."
            )
        if "git-lfs" in stderr and ("not found" in stderr or "command not found" in stderr):
            return GitError("git-lfs is not installed; install it (apt-get install git-lfs)")
        return GitError(f"git {' '.join(args[:2])} failed in {self.path}: {stderr or exc}")

    def init(self, first_commit: str | None = None) -> None:
        """Make the folder a repository: LFS filters, durable writes, an identity if none.

        `first_commit`: commit everything in the folder with this message. The commit runs
        while git-lfs installs its filters and hooks, which takes most of the time: nothing in
        a new project is media, so the commit needs neither. Both are over when this returns.
        """
        git_check, lfs_check = check_git_tools()
        for check in (git_check, lfs_check):
            if not check.ok:
                raise GitError(f"{check.problem}; {check.fix}")
        try:
            self._repo = gitpython.Repo.init(self.path, initial_branch="main")
        except gitpython.GitCommandError as exc:
            raise GitError(f"git init failed in {self.path}: {exc.stderr}") from None
        if not _has_identity():
            self._repo.git.update_environment(**self._identity_env())
        with self._repo.config_writer() as config:
            # git does not fsync by default; a crash must not lose a commit.
            config.set_value("core", "fsync", "committed,index")
            config.set_value("core", "fsyncMethod", "fsync")
            config.set_value("core", "quotePath", "false")
        installing = subprocess.Popen(
            ["git", "lfs", "install", "--local"],
            cwd=self.path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            if first_commit is not None:
                self._git("add", "-A")
                self._git("commit", "-q", "--no-verify", "-m", first_commit)
        finally:
            _, stderr = installing.communicate()
        if installing.returncode:
            raise GitError(f"git lfs install failed in {self.path}: {stderr.strip()}")

    def commit(self, message: str, paths: list[str] | None = None) -> str | None:
        """Stage `paths` (or everything) and commit; return the sha, or None if nothing changed."""
        self._git("add", "-A", "--", *(paths or ["."]))
        if not self._git("diff", "--cached", "--name-only"):
            return None
        self._git("commit", "-q", "--no-verify", "-m", message)
        return self._git("rev-parse", "HEAD")

    def status(self) -> list[StatusEntry]:
        """Return the changed and untracked paths."""
        out = self._read("status", "--porcelain=v1", "-z", "--untracked-files=all")
        entries = []
        items = iter(out.split("\0"))
        for item in items:
            if not item:
                continue
            code, path = item[:2], item[3:]
            if code[0] in "RC":
                next(items, None)  # the rename's source path follows
            entries.append(StatusEntry(code, path))
        return entries

    def is_clean(self) -> bool:
        """True when everything in the project is committed."""
        return not self.status()

    def lfs_patterns(self) -> list[str]:
        """The path patterns `.gitattributes` sends through git-lfs, in file order."""
        path = self.path / ".gitattributes"
        if not path.is_file():
            return []
        patterns = []
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 2 and not parts[0].startswith("#") and "filter=lfs" in parts[1:]:
                patterns.append(parts[0])
        return patterns

    def track_lfs(self, pattern: str) -> bool:
        """Send files matching `pattern` (e.g. ``*.blend``) through git-lfs.

        Returns False when the pattern was already tracked.
        """
        pattern = pattern.strip()
        if not pattern or any(c.isspace() for c in pattern) or pattern[0] in "#!-":
            raise GitError(f"{pattern!r} is not a file pattern; write one such as *.blend")
        if pattern in self.lfs_patterns():
            return False
        self._git("lfs", "track", pattern)
        return True

    def log(self, path: str | None = None, limit: int = 50) -> list[CommitInfo]:
        """Return the commits that touched `path` (or any path), newest first."""
        fmt = "%H%x1f%an%x1f%aI%x1f%s%x1e"
        args = ["log", f"-n{limit}", f"--format={fmt}"]
        if path:
            args += ["--follow", "--", path]
        out = self._git(*args)
        commits = []
        for record in out.split("\x1e"):
            record = record.strip()
            if record:
                sha, author, date, message = record.split("\x1f")
                commits.append(CommitInfo(sha, author, datetime.fromisoformat(date), message))
        return commits

    def show(self, revision: str, path: str) -> bytes:
        """Return `path` as stored in the commit `revision` (an LFS pointer for media)."""
        done = subprocess.run(
            ["git", "show", f"{revision}:{path}"], cwd=self.path, capture_output=True, check=False
        )
        if done.returncode != 0:
            raise GitError(f"{path} at {revision}: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    def restore(self, path: str, revision: str) -> None:
        """Bring `path` in the working tree back to its content at `revision`."""
        self._git("restore", f"--source={revision}", "--worktree", "--", path)

    def head(self) -> str | None:
        try:
            return self._git("rev-parse", "--verify", "-q", "HEAD") or None
        except GitError:
            return None
