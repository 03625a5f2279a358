"""Editorial timelines: OpenTimelineIO (`.otio`), CMX 3600 EDL and Final Cut Pro 7 XML.

The video track holds one clip per shot, referencing its active take with the shot's duration;
a shot with no take is an offline clip of the same length, so the cut keeps its timing. Scenes
are marked on the track, and each clip carries its shot's id, address, description and dialogue
in its metadata under ``auteur``. The music, when the project has some, is an audio track.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import opentimelineio as otio

from ._output import write_export
from ._timeline import Clip, ExportError, Timeline, collect
from .animatic import Progress

if TYPE_CHECKING:
    from ..storage import ProjectStore

__all__ = ["TIMELINE_FORMATS", "build_timeline", "export_timeline", "timeline_formats"]

#: Each format written: file extension → OpenTimelineIO adapter.
TIMELINE_FORMATS = {"otio": "otio_json", "edl": "cmx_3600", "xml": "fcp_xml"}


#: Formats written in SMPTE timecode, which exists only at the broadcast and film rates.
_TIMECODE_FORMATS = {"edl", "xml"}


def timeline_formats(fps: int) -> tuple[str, ...]:
    """The formats that can hold a cut at `fps`: EDL and FCP XML need a SMPTE timecode rate."""
    try:
        otio.opentime.RationalTime(0, fps).to_timecode(fps)
    except ValueError:
        return tuple(ext for ext in TIMELINE_FORMATS if ext not in _TIMECODE_FORMATS)
    return tuple(TIMELINE_FORMATS)


def _range(start: float, duration: float, fps: int) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(
        otio.opentime.RationalTime(start, fps), otio.opentime.RationalTime(duration, fps)
    )


def _reference(clip: Clip, fps: int) -> otio.core.MediaReference:
    if clip.media is None or clip.take is None:
        return otio.schema.MissingReference(name=clip.code)
    # A still covers any length; a video take offers what it holds, at least the shot.
    seconds = clip.take.metadata.get("duration") if clip.is_video else None
    frames = max(clip.duration, round(seconds * fps)) if seconds else clip.duration
    return otio.schema.ExternalReference(
        target_url=clip.media.resolve().as_uri(), available_range=_range(0, frames, fps)
    )


def _metadata(clip: Clip, root: Path) -> dict[str, Any]:
    shot = clip.shot
    return {
        "shotId": shot.id,
        "address": clip.address,
        "code": clip.code,
        "scene": clip.scene.heading or clip.scene.title,
        "description": shot.description,
        "framing": shot.framing.value if shot.framing else None,
        "dialogue": [line.to_data() for line in shot.dialogue],
        "take": clip.take.path if clip.take is not None else None,
        "previz": clip.take is None,
    }


def build_timeline(timeline: Timeline, progress: Progress | None = None) -> otio.schema.Timeline:
    """The OpenTimelineIO timeline of `timeline`."""
    fps = timeline.fps
    result = otio.schema.Timeline(name=timeline.project.name)
    result.global_start_time = otio.opentime.RationalTime(0, fps)
    video = otio.schema.Track(name="Shots", kind=otio.schema.TrackKind.Video)
    scene_id = None
    total = len(timeline.clips)
    for done, clip in enumerate(timeline.clips, start=1):
        item = otio.schema.Clip(
            name=clip.code,
            media_reference=_reference(clip, fps),
            source_range=_range(0, clip.duration, fps),
        )
        item.metadata["auteur"] = _metadata(clip, timeline.root)
        video.append(item)
        if clip.scene.id != scene_id:
            scene_id = clip.scene.id
            video.markers.append(
                otio.schema.Marker(
                    name=clip.scene.heading or clip.scene.title,
                    marked_range=_range(clip.start, 0, fps),
                    color=otio.schema.MarkerColor.BLUE,
                )
            )
        if progress is not None:
            progress(done, total)
    result.tracks.append(video)
    if timeline.music_file is not None and timeline.music is not None:
        result.tracks.append(_music_track(timeline))
    result.metadata["auteur"] = {"project": timeline.project.id, "scope": timeline.scope}
    return result


def _music_track(timeline: Timeline) -> otio.schema.Track:
    fps = timeline.fps
    assert timeline.music_file is not None and timeline.music is not None
    seconds = timeline.music.duration or timeline.seconds
    frames = min(timeline.frames, round(seconds * fps))
    track = otio.schema.Track(name="Music", kind=otio.schema.TrackKind.Audio)
    reference = otio.schema.ExternalReference(
        target_url=timeline.music_file.resolve().as_uri(),
        available_range=_range(0, round(seconds * fps), fps),
    )
    track.append(
        otio.schema.Clip(
            name=timeline.music.name, media_reference=reference, source_range=_range(0, frames, fps)
        )
    )
    return track


def export_timeline(
    store: ProjectStore,
    scope: str | None = None,
    *,
    music: str | bool | None = True,
    formats: tuple[str, ...] | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Export the editorial timeline as `.otio`, `.edl` and FCP `.xml` into ``06_Exports``.

    `scope` limits it to a chapter, scene or shot. `formats` (extensions) defaults to every
    format the project's fps allows (see `timeline_formats`). Returns the paths written.
    """
    unknown = set(formats or ()) - set(TIMELINE_FORMATS)
    if unknown:
        raise ExportError(
            f"unknown timeline format(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(TIMELINE_FORMATS)}"
        )
    timeline = collect(store, scope, music)
    possible = timeline_formats(timeline.fps)
    if formats is None:
        formats = possible
    elif set(formats) - set(possible):
        named = ", ".join(ext.upper() for ext in formats if ext not in possible)
        raise ExportError(
            f"{named} cannot hold {timeline.fps} fps: SMPTE timecode has no such rate "
            "(24, 25, 30, 48, 50 and 60 fps and their NTSC rates do)"
        )
    built = build_timeline(timeline, progress)
    paths = []
    for ext in formats:
        adapter = TIMELINE_FORMATS[ext]
        try:
            text = otio.adapters.write_to_string(built, adapter_name=adapter)
        except (otio.exceptions.OTIOError, ValueError) as exc:
            raise ExportError(f"could not write the {ext.upper()} timeline: {exc}") from exc
        name = timeline.output_name("timeline", ext)
        paths.append(write_export(store.path, name, text))
    return paths
