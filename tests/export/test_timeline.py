"""Editorial timelines: OTIO read back with OpenTimelineIO, and the EDL and FCP XML beside it."""

from __future__ import annotations

import opentimelineio as otio
import pytest

from auteur.export import ExportError, export_timeline
from auteur.storage import ProjectStore

from .conftest import DURATIONS, FPS

pytestmark = pytest.mark.git


def test_otio_references_the_active_takes_with_their_durations(cut: ProjectStore):
    paths = export_timeline(cut, music=False)
    # SMPTE timecode has no 12 fps, so neither EDL nor FCP XML is written for this cut.
    assert [p.name for p in paths] == ["Test_Film_timeline.otio"]
    timeline = otio.adapters.read_from_file(str(paths[0]))
    (track,) = timeline.video_tracks()
    clips = list(track.find_clips())
    assert [c.name for c in clips] == ["S01_S01", "S01_S02", "S01_S03", "S02_S01"]
    assert [c.source_range.duration for c in clips] == [
        otio.opentime.RationalTime(frames, FPS) for scene in DURATIONS for frames in scene
    ]
    assert timeline.duration() == otio.opentime.RationalTime(28, FPS)
    shots = [shot for _, _, shot in cut.iter_shots()]
    take = next(t for t in shots[0].takes if t.id == shots[0].active_take)
    assert clips[0].media_reference.target_url == (cut.path / take.path).resolve().as_uri()
    assert clips[1].media_reference.target_url.endswith(".mp4")
    assert isinstance(clips[2].media_reference, otio.schema.MissingReference)
    meta = clips[0].metadata["auteur"]
    assert meta["shotId"] == shots[0].id and meta["address"] == "1/1/1"
    assert meta["dialogue"][0]["text"] == "We should go."
    assert [m.name for m in track.markers] == ["Scene 1", "Scene 2"]
    assert timeline.audio_tracks() == []


def test_edl_and_fcp_xml_read_back(cut: ProjectStore):
    cut.update_project(fps=24)
    _, edl, xml = export_timeline(cut, music=False)
    assert edl.suffix == ".edl"
    events = otio.adapters.read_from_file(str(edl), rate=24)
    assert len(list(events.find_clips())) == 4
    assert events.duration() == otio.opentime.RationalTime(28, 24)
    fcp = otio.adapters.read_from_file(str(xml))
    assert len(list(fcp.video_tracks()[0].find_clips())) == 4
    assert fcp.duration() == otio.opentime.RationalTime(28, 24)


def test_an_edl_asked_for_at_a_rate_it_cannot_hold(cut: ProjectStore):
    with pytest.raises(ExportError, match="EDL cannot hold 12 fps"):
        export_timeline(cut, formats=("edl",))


def test_music_is_an_audio_track(cut: ProjectStore, music: str):
    (path,) = export_timeline(cut, music=music, formats=("otio",))
    (audio,) = otio.adapters.read_from_file(str(path)).audio_tracks()
    (clip,) = audio.find_clips()
    assert clip.name == "Theme"
    assert clip.source_range.duration == otio.opentime.RationalTime(28, FPS)


def test_unknown_format(cut: ProjectStore):
    with pytest.raises(ExportError, match="unknown timeline format"):
        export_timeline(cut, formats=("aaf",))
