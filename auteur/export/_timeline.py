"""The cut an export shows: the shots of the project (or of one part of it) in story order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..model import Chapter, Located, Music, Project, Scene, Shot, Take
from ..model.address import shot_code
from ..storage.names import safe_folder_name

if TYPE_CHECKING:
    from ..storage import ProjectStore

__all__ = ["Clip", "ExportError", "Timeline", "collect"]

_VIDEO_EXTENSIONS = {"mp4", "mov", "m4v", "webm", "mkv", "avi", "gif"}


class ExportError(RuntimeError):
    """An export could not be made; the message says why."""


@dataclass(frozen=True)
class Clip:
    """One shot on the timeline, with the file of its active take (None: previz)."""

    chapter: Chapter
    scene: Scene
    shot: Shot
    start: int  # frame on the timeline
    take: Take | None
    media: Path | None

    @property
    def duration(self) -> int:
        """Frames at the project's fps."""
        return self.shot.duration

    @property
    def code(self) -> str:
        """The shot's code, ``S01_S02``."""
        return shot_code(self.scene, self.shot)

    @property
    def address(self) -> str:
        """``chapter/scene/shot`` numbers."""
        return f"{self.chapter.number}/{self.scene.number}/{self.shot.number}"

    @property
    def is_video(self) -> bool:
        """True when the active take is a moving picture rather than a still."""
        if self.take is None or self.media is None:
            return False
        kind = self.take.metadata.get("kind")
        if kind in ("image", "video"):
            return kind == "video"
        return self.media.suffix.lower().lstrip(".") in _VIDEO_EXTENSIONS

    def camera(self, fps: int) -> str:
        """Framing and length, e.g. ``Close up · 2.0 s``."""
        seconds = f"{self.duration / fps:.1f} s"
        if self.shot.framing is None:
            return seconds
        return f"{self.shot.framing.value.replace('-', ' ').capitalize()} · {seconds}"


@dataclass(frozen=True)
class Timeline:
    """The clips of an export and the picture they make."""

    project: Project
    root: Path
    clips: tuple[Clip, ...]
    scope: str  # "" for the whole project, else the address exported, e.g. "1/2"
    music: Music | None = None
    music_file: Path | None = None

    @property
    def fps(self) -> int:
        return self.project.settings.fps

    @property
    def size(self) -> tuple[int, int]:
        """Width and height, rounded down to even numbers as H.264 needs."""
        width, height = self.project.settings.resolution
        return max(2, width - width % 2), max(2, height - height % 2)

    @property
    def frames(self) -> int:
        """Total length in frames."""
        return sum(clip.duration for clip in self.clips)

    @property
    def seconds(self) -> float:
        return self.frames / self.fps

    def output_name(self, kind: str, ext: str) -> str:
        """The export's file name: ``My_Film_animatic.mp4``, ``My_Film_ch01_sc02_timeline.otio``."""

        parts = [safe_folder_name(self.project.name)]
        if self.scope:
            labels = ("ch", "sc", "sh")
            numbers = self.scope.split("/")
            parts.append("_".join(f"{labels[i]}{int(n):02d}" for i, n in enumerate(numbers)))
        parts.append(kind)
        return "_".join(parts) + f".{ext}"


def _active_take(shot: Shot) -> Take | None:
    if shot.active_take is None:
        return None
    return next((t for t in shot.takes if t.id == shot.active_take), None)


def _music(
    project: Project, root: Path, music: str | bool | None
) -> tuple[Music | None, Path | None]:
    if music is None or music is False:
        return None, None
    tracks = project.assets.music
    if isinstance(music, str):
        wanted = music.strip().casefold()
        chosen = [m for m in tracks if m.asset_id == music or m.name.casefold() == wanted]
        if not chosen:
            raise ExportError(f"no music asset named {music!r} in the project")
    else:
        chosen = tracks
    for asset in chosen:
        for file in asset.files:
            if file.kind == "audio" and (root / file.path).is_file():
                return asset, root / file.path
    if isinstance(music, str):
        raise ExportError(f"the music asset {music!r} has no audio file")
    return None, None


def collect(
    store: ProjectStore, scope: str | None = None, music: str | bool | None = None
) -> Timeline:
    """The shots to export, in story order: all of them, or those under address `scope`.

    `scope` is a chapter, scene or shot (``1``, ``1/2``, ``1/2/3`` or an id). `music` picks the
    soundtrack: True for the project's first music asset with an audio file, a name or id for
    that asset, None or False for none.
    """
    store.refresh()
    project = store.project
    located: Located | None = store.locate(scope) if scope else None
    clips: list[Clip] = []
    start = 0
    for chapter, scene, shot in store.iter_shots():
        if located is not None:
            if chapter.id != located.chapter.id:
                continue
            if located.scene is not None and scene.id != located.scene.id:
                continue
            if located.shot is not None and shot.id != located.shot.id:
                continue
        take = _active_take(shot)
        media = store.path / take.path if take is not None else None
        if media is not None and not media.is_file():
            media = None  # a take whose file is gone shows as previz
        clips.append(Clip(chapter, scene, shot, start, take, media))
        start += shot.duration
    if not clips:
        where = f"under {scope!r}" if scope else "in the project"
        raise ExportError(f"nothing to export: there are no shots {where}")
    asset, music_file = _music(project, store.path, music)
    return Timeline(
        project=project,
        root=store.path,
        clips=tuple(clips),
        scope=located.address if located is not None else "",
        music=asset,
        music_file=music_file,
    )
