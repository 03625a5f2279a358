"""Auteur's storage layer: the workspace, project stores and git. The only writer of projects."""

from ._atomic import atomic_write
from .assets import AssetError, AssetInUseError, AssetLibrary
from .documents import DOCUMENT_FOLDERS, Documents
from .git import CommitInfo, GitError, GitService, StatusEntry, ToolCheck, check_git_tools
from .manifest import LAYOUT_FOLDERS, PROJECT_FILE, SCENES_DIR, validate_project
from .media import UploadError
from .names import NameError_, safe_file_name, safe_folder_name
from .store import ProjectLockedError, ProjectStore, StaleWriteError, StoreError
from .takes import TakeEntry, TakeStore
from .workspace import ProjectSummary, TrashEntry, Workspace, WorkspaceError

__all__ = [
    "DOCUMENT_FOLDERS",
    "LAYOUT_FOLDERS",
    "PROJECT_FILE",
    "SCENES_DIR",
    "AssetError",
    "AssetInUseError",
    "AssetLibrary",
    "CommitInfo",
    "Documents",
    "GitError",
    "GitService",
    "NameError_",
    "ProjectLockedError",
    "ProjectStore",
    "ProjectSummary",
    "StaleWriteError",
    "StatusEntry",
    "StoreError",
    "TakeEntry",
    "TakeStore",
    "ToolCheck",
    "TrashEntry",
    "UploadError",
    "Workspace",
    "WorkspaceError",
    "atomic_write",
    "check_git_tools",
    "safe_file_name",
    "safe_folder_name",
    "validate_project",
]
