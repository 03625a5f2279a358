"""The workspace: `Projects/`, `Library/` and a trash, with project creation and listing."""

from __future__ import annotations

import json
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..config import Settings, load_settings, settings_path
from ..model import (
    NarrativeStructure,
    NarrativeTemplate,
    Project,
    Quality,
    builtin_template_bytes,
)
from ..model.events import EventBus
from ._atomic import atomic_write, fsync_dir
from .git import GitError, GitService, gitattributes_text, gitignore_text
from .manifest import LAYOUT_FOLDERS, PROJECT_FILE, dump_manifest
from .names import check_name, safe_folder_name
from .store import ProjectStore, StoreError

__all__ = ["LIBRARY_FOLDERS", "ProjectSummary", "TrashEntry", "Workspace", "WorkspaceError"]

LIBRARY_FOLDERS = ("Narrative_Templates", "Pipeline_Templates", "Stock_Media", "AI_Models")
_TRASH = ".trash"
_UNTRACKED_FOLDERS = ("05_Cache", "06_Exports")


class WorkspaceError(StoreError):
    """A workspace operation was refused; the message says why."""


@dataclass(frozen=True)
class ProjectSummary:
    """What the gallery shows of a project without opening it."""

    name: str
    folder: str
    path: Path
    id: str = ""
    quality: str = ""
    structure: str = ""
    created: str = ""
    modified: datetime | None = None
    git_status: str = "unknown"  # clean, dirty, no-git or error
    error: str = ""


@dataclass(frozen=True)
class TrashEntry:
    """A deleted project waiting in the trash."""

    name: str
    path: Path
    deleted: datetime


class Workspace:
    """A folder holding `Projects/` and `Library/`. Defaults to ``~/Auteur_Workspace``."""

    def __init__(
        self,
        root: str | Path | None = None,
        settings: Settings | None = None,
        bus: EventBus | None = None,
    ) -> None:
        self.settings = settings or load_settings(root)
        self.root = Path(root).expanduser() if root is not None else self.settings.workspace
        self.root = self.root.resolve()
        self.bus = bus or EventBus()
        self.ensure()

    @property
    def projects_dir(self) -> Path:
        return self.root / "Projects"

    @property
    def library_dir(self) -> Path:
        return self.root / "Library"

    @property
    def trash_dir(self) -> Path:
        return self.root / _TRASH

    def ensure(self) -> None:
        """Create the workspace folders and copy the narrative templates into the Library."""
        self.projects_dir.mkdir(parents=True, exist_ok=True)
        for name in LIBRARY_FOLDERS:
            (self.library_dir / name).mkdir(parents=True, exist_ok=True)
        templates = self.library_dir / "Narrative_Templates"
        for structure in NarrativeStructure:
            target = templates / f"{structure.value}.json"
            if not target.exists():  # never replace a template the user edited
                atomic_write(target, builtin_template_bytes(structure), durable=False)

    def save_settings(self, **changes: object) -> Settings:
        """Write settings into the workspace's settings file and return the new settings."""
        path = settings_path(self.root)
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        # Python names: `changes` uses them, and a camelCase key would win over them.
        merged = Settings.model_validate({**self.settings.model_dump(by_alias=False), **changes})
        for key in changes:
            data[Settings.model_fields[key].alias or key] = merged.to_data()[
                Settings.model_fields[key].alias or key
            ]
        data.pop("workspace", None)
        atomic_write(path, json.dumps(data, indent=2) + "\n")
        self.settings = load_settings(self.root)
        return self.settings

    # ------------------------------------------------------------ templates

    def template(self, structure: NarrativeStructure | str) -> NarrativeTemplate:
        """The narrative template for `structure`, from the Library (edits there apply)."""
        structure = NarrativeStructure(structure)
        path = self.library_dir / "Narrative_Templates" / f"{structure.value}.json"
        raw = path.read_bytes() if path.is_file() else builtin_template_bytes(structure)
        try:
            return NarrativeTemplate.model_validate_json(raw)
        except ValueError as exc:
            raise WorkspaceError(f"narrative template {path} is invalid: {exc}") from None

    # ------------------------------------------------------------ finding projects

    def _project_dirs(self) -> list[Path]:
        return sorted(
            p
            for p in self.projects_dir.iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / PROJECT_FILE).is_file()
        )

    def resolve(self, project: str | Path) -> Path:
        """Find a project by folder path, folder name or display name."""
        candidate = Path(project).expanduser()
        if candidate.name == PROJECT_FILE:
            candidate = candidate.parent
        if (candidate / PROJECT_FILE).is_file():
            return candidate.resolve()
        text = str(project)
        by_folder = self.projects_dir / text
        if "/" not in text and "\\" not in text and (by_folder / PROJECT_FILE).is_file():
            return by_folder.resolve()
        matches = [s.path for s in self.list_projects(with_status=False) if s.name == text]
        if not matches:
            folded = text.casefold()
            matches = [
                s.path
                for s in self.list_projects(with_status=False)
                if folded in (s.name.casefold(), s.folder.casefold())
            ]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise WorkspaceError(f"{text!r} names {len(matches)} projects; use its folder")
        raise WorkspaceError(f"no project named {text!r} in {self.projects_dir}")

    def open(self, project: str | Path) -> ProjectStore:
        """Open a project by name or folder."""
        return ProjectStore.open(self.resolve(project), self.settings, self.bus)

    def list_projects(self, with_status: bool = True) -> list[ProjectSummary]:
        """Summaries of every project, with each one's git status when asked."""
        dirs = self._project_dirs()
        if not with_status:
            return [self._summary(d, None) for d in dirs]
        with ThreadPoolExecutor(max_workers=self.settings.status_workers) as pool:
            statuses = list(pool.map(self._git_status, dirs))
        return [self._summary(d, s) for d, s in zip(dirs, statuses, strict=True)]

    def _git_status(self, path: Path) -> str:
        if not (path / ".git").exists():
            return "no-git"
        try:
            return "clean" if GitService(path, self.settings).is_clean() else "dirty"
        except GitError:
            return "error"

    def _summary(self, path: Path, status: str | None) -> ProjectSummary:
        manifest = path / PROJECT_FILE
        modified = max(
            (
                p.stat().st_mtime
                for p in (manifest, path / ".git" / "auteur.revision")
                if p.exists()
            ),
            default=None,
        )
        when = datetime.fromtimestamp(modified, UTC) if modified else None
        try:
            data = json.loads(manifest.read_bytes())
            narrative = data.get("narrative") or {}
            return ProjectSummary(
                name=str(data.get("name", path.name)),
                folder=path.name,
                path=path.resolve(),
                id=str(data.get("id", "")),
                quality=str(data.get("quality", "")),
                structure=str(narrative.get("structure", "")),
                created=str(data.get("created", "")),
                modified=when,
                git_status=status or "unknown",
            )
        except (ValueError, AttributeError) as exc:
            return ProjectSummary(
                path.name,
                path.name,
                path.resolve(),
                modified=when,
                git_status=status or "unknown",
                error=f"unreadable: {exc}",
            )

    # ------------------------------------------------------------ creating

    def _check_free(self, name: str, folder: str, ignore: Path | None = None) -> None:
        for existing in self.projects_dir.iterdir():
            if existing == ignore or existing.name.startswith("."):
                continue
            if existing.name.casefold() == folder.casefold():
                raise WorkspaceError(
                    f"a project already uses the folder {existing.name!r}; choose another name"
                )
        for summary in self.list_projects(with_status=False):
            if summary.path != ignore and summary.name.casefold() == name.casefold():
                raise WorkspaceError(f"a project named {summary.name!r} already exists")

    def create_project(
        self,
        name: str,
        quality: Quality | str | None = None,
        structure: NarrativeStructure | str | None = None,
    ) -> ProjectStore:
        """Create a project folder, its manifest and its git repository; return it open.

        The project is built in a hidden folder and renamed into place, so a crash never
        leaves half a project in the gallery.
        """
        name = check_name(name, "project name", self.settings.max_name_length)
        folder = safe_folder_name(name, self.settings.max_folder_name_length)
        quality = Quality(quality or self.settings.default_quality)
        structure = NarrativeStructure(structure or self.settings.default_structure)
        self._check_free(name, folder)
        template = self.template(structure)
        project = Project(name=name, quality=quality)
        project.narrative.structure = structure
        project.narrative.chapters = template.make_chapters()
        project.narrative.emotional_beats = template.make_beats()

        staging = self.projects_dir / f".creating-{uuid.uuid4().hex[:8]}"
        staging.mkdir()
        try:
            self._write_skeleton(staging, project)
            target = self.projects_dir / folder
            if target.exists():
                raise WorkspaceError(f"a project already uses the folder {folder!r}")
            staging.rename(target)
            fsync_dir(self.projects_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return ProjectStore.open(target, self.settings, self.bus)

    def _write_skeleton(self, root: Path, project: Project) -> None:
        for folder in LAYOUT_FOLDERS:
            (root / folder).mkdir(parents=True)
            if not folder.startswith(_UNTRACKED_FOLDERS):
                # git keeps no empty folders; this keeps the layout in every clone.
                (root / folder / ".gitkeep").touch()
        (root / ".gitignore").write_text(gitignore_text(), encoding="utf-8")
        (root / ".gitattributes").write_text(gitattributes_text(), encoding="utf-8")
        atomic_write(root / PROJECT_FILE, dump_manifest(project))
        git = GitService(root, self.settings)
        git.init(first_commit=f"Create project {project.name}")

    # ------------------------------------------------------------ rename, delete, restore

    def rename_project(self, project: str | Path, new_name: str) -> ProjectStore:
        """Rename a project: its display name and its folder."""
        path = self.resolve(project)
        new_name = check_name(new_name, "project name", self.settings.max_name_length)
        folder = safe_folder_name(new_name, self.settings.max_folder_name_length)
        self._check_free(new_name, folder, ignore=path)
        store = ProjectStore.open(path, self.settings, self.bus)
        store.set_name(new_name)
        store.autocommit(f"Rename project to {new_name}")
        if path.name != folder:
            target = self.projects_dir / folder
            path.rename(target)
            fsync_dir(self.projects_dir)
            path = target
        return ProjectStore.open(path, self.settings, self.bus)

    def delete_project(self, project: str | Path) -> TrashEntry:
        """Move a project to the workspace's trash, from where it can be restored."""
        path = self.resolve(project)
        self.trash_dir.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target = self.trash_dir / f"{stamp}_{uuid.uuid4().hex[:6]}_{path.name}"
        path.rename(target)
        fsync_dir(self.projects_dir)
        return TrashEntry(path.name, target, datetime.now(UTC))

    def trash(self) -> list[TrashEntry]:
        """Deleted projects, newest first."""
        if not self.trash_dir.is_dir():
            return []
        entries = []
        for path in sorted(self.trash_dir.iterdir(), reverse=True):
            stamp, _, rest = path.name.partition("_")
            _, _, name = rest.partition("_")
            try:
                when = datetime.strptime(stamp, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
            except ValueError:
                continue
            entries.append(TrashEntry(name, path, when))
        return entries

    def restore_project(self, entry: TrashEntry | str) -> ProjectStore:
        """Bring a project back from the trash under its old folder name."""
        if isinstance(entry, str):
            found = [e for e in self.trash() if entry in (e.name, e.path.name)]
            if not found:
                raise WorkspaceError(f"nothing named {entry!r} in the trash")
            entry = found[0]
        target = self.projects_dir / entry.name
        if target.exists():
            raise WorkspaceError(f"a project already uses the folder {entry.name!r}")
        entry.path.rename(target)
        return ProjectStore.open(target, self.settings, self.bus)
