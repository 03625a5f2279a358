"""The animatic MP4: one frame per frame of every shot, takes or storyboard cards, and music."""

from __future__ import annotations

import av
import pytest

from auteur.export import EXPORTS_DIR, ExportError, export_animatic
from auteur.storage import ProjectStore

from .conftest import DURATIONS, FPS, SIZE

pytestmark = pytest.mark.git


def probe(path) -> dict:
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        info = {
            "codec": video.codec_context.name,
            "size": (video.codec_context.width, video.codec_context.height),
            "rate": video.average_rate,
            "audio": [s.codec_context.name for s in container.streams.audio],
            "duration": container.duration / av.time_base,
        }
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    info["frames"] = len(frames)
    info["pixels"] = frames
    return info


def test_frame_count_is_the_sum_of_shot_durations(cut: ProjectStore):
    path = export_animatic(cut, captions=False)
    assert path == cut.path / EXPORTS_DIR / "Test_Film_animatic.mp4"
    info = probe(path)
    assert info["frames"] == sum(map(sum, DURATIONS)) == 28
    assert (info["codec"], info["size"], info["rate"]) == ("h264", SIZE, FPS)
    assert info["audio"] == []
    # The first shot shows its red take, letterboxed; the second its green video take.
    middle = info["pixels"][0][SIZE[1] // 2, SIZE[0] // 2]
    assert middle[0] > 150 and middle[1] < 80
    assert info["pixels"][0][SIZE[1] // 2, 5].max() < 40  # black bar beside the square take
    green = info["pixels"][10][SIZE[1] // 2, SIZE[0] // 2]
    assert green[1] > 150 and green[0] < 80
    # The video take has 5 frames; the shot holds its last one for the 2 frames left.
    held = info["pixels"][16][SIZE[1] // 2, SIZE[0] // 2]
    assert held[1] > 150
    # The shot with no take shows a storyboard card.
    card = info["pixels"][20][SIZE[1] // 2, SIZE[0] // 2]
    assert card.max() < 120


def test_captions_and_a_scene_scope(cut: ProjectStore):
    progress: list[tuple[int, int]] = []
    path = export_animatic(cut, "1/1", progress=lambda done, total: progress.append((done, total)))
    assert path.name == "Test_Film_ch01_sc01_animatic.mp4"
    assert probe(path)["frames"] == sum(DURATIONS[0])
    assert progress == [(1, 3), (2, 3), (3, 3)]


def test_music_track(cut: ProjectStore, music: str):
    info = probe(export_animatic(cut, music=music))
    assert info["audio"] == ["aac"]
    assert info["frames"] == 28
    assert info["duration"] == pytest.approx(28 / FPS, abs=0.1)  # the music stops with the cut


def test_an_export_replaces_the_last_and_leaves_no_temporary_file(cut: ProjectStore):
    first = export_animatic(cut, music=False)
    cut.update(cut.locate("1/2/1").item.id, duration=17)
    second = export_animatic(cut, music=False)
    assert first == second and probe(second)["frames"] == 28 - 5 + 17
    assert [p.name for p in (cut.path / EXPORTS_DIR).iterdir()] == [second.name]


def test_errors(cut: ProjectStore):
    with pytest.raises(ExportError, match="no shots under '2'"):
        export_animatic(cut, "2")
    with pytest.raises(ExportError, match="no music asset named 'Nope'"):
        export_animatic(cut, music="Nope")


def test_a_damaged_take_is_named(cut: ProjectStore):
    shot = cut.locate("1/1/1").item
    take = next(t for t in shot.takes if t.id == shot.active_take)
    (cut.path / take.path).write_bytes(b"not a picture")
    with pytest.raises(ExportError, match=r"shot 1/1/1: cannot show its take 03_Renders/"):
        export_animatic(cut)
    assert list((cut.path / EXPORTS_DIR).iterdir()) == []  # nothing half-written is left


def test_a_bad_encoder_setting_is_named(cut: ProjectStore):
    cut.settings = cut.settings.model_copy(update={"export_video_preset": "warp-speed"})
    with pytest.raises(ExportError, match=r"cannot start the H.264 encoder \(preset 'warp-"):
        export_animatic(cut)
