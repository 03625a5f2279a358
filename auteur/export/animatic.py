"""The animatic: every shot's active take (or a storyboard card) for its duration, as H.264 MP4.

Frames are streamed to the encoder: each shot's picture is composed and converted to the
encoder's pixel format once, then sent for as many frames as the shot lasts, so a long cut
costs little more than the encoding itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
from PIL import Image

from ._output import exporting
from ._pictures import caption, find_font, fit, previz_card, still
from ._timeline import Clip, ExportError, Timeline, collect

if TYPE_CHECKING:
    from ..storage import ProjectStore

__all__ = ["Progress", "export_animatic", "write_animatic"]

#: Called after each shot with (shots done, shots in all).
Progress = Callable[[int, int], None]

_AUDIO_RATE = 48_000


class _Soundtrack:
    """The music, resampled and encoded alongside the picture up to a given time."""

    def __init__(self, output: Any, path: Path) -> None:
        self.input = av.open(str(path))
        if not self.input.streams.audio:
            self.input.close()
            raise ExportError(f"{path.name} has no audio stream")
        self.stream = output.add_stream("aac", rate=_AUDIO_RATE, layout="stereo")
        self.output = output
        self.resampler = av.AudioResampler(format="fltp", layout="stereo", rate=_AUDIO_RATE)
        self.frames = self._resampled()
        self.written = 0

    def _resampled(self) -> Iterator[Any]:
        for frame in self.input.decode(audio=0):
            frame.pts = None
            yield from self.resampler.resample(frame)
        yield from self.resampler.resample(None)

    def until(self, seconds: float) -> None:
        """Encode the music up to `seconds` from the start (less if it ends before)."""
        target = round(seconds * _AUDIO_RATE)
        while self.written < target:
            frame = next(self.frames, None)
            if frame is None:
                return
            keep = min(frame.samples, target - self.written)
            if keep < frame.samples:
                frame = self._trimmed(frame, keep)
            frame.pts = self.written
            frame.time_base = Fraction(1, _AUDIO_RATE)
            self.written += keep
            self.output.mux(self.stream.encode(frame))

    @staticmethod
    def _trimmed(frame: Any, samples: int) -> Any:
        trimmed = av.AudioFrame.from_ndarray(
            frame.to_ndarray()[:, :samples], format="fltp", layout="stereo"
        )
        trimmed.sample_rate = _AUDIO_RATE
        return trimmed

    def close(self) -> None:
        self.output.mux(self.stream.encode(None))
        self.input.close()


class _Picture:
    """Composes each shot's frames: its take or a card, fitted, with optional captions."""

    def __init__(self, timeline: Timeline, captions: bool, font_path: Path | None) -> None:
        self.timeline = timeline
        self.captions = captions
        self.font_path = font_path

    def finish(self, image: Image.Image, clip: Clip) -> Image.Image:
        image = fit(image, self.timeline.size)
        return caption(image, clip, self.font_path) if self.captions else image

    def still(self, clip: Clip) -> Image.Image:
        if clip.media is None:
            card = previz_card(clip, self.timeline.size, self.timeline.fps, self.font_path)
            return self.finish(card, clip)
        return self.finish(still(clip.media, self.timeline.size), clip)

    def moving(self, clip: Clip) -> Iterator[Image.Image]:
        assert clip.media is not None
        with av.open(str(clip.media)) as container:
            for frame in container.decode(video=0):
                yield self.finish(frame.to_image(), clip)


class _Encoder:
    """An H.264 stream that takes each distinct picture once and repeats it cheaply."""

    def __init__(self, output: Any, timeline: Timeline, preset: str, crf: int) -> None:
        width, height = timeline.size
        self.output = output
        self.rate = Fraction(timeline.fps)
        self.stream = output.add_stream("libx264", rate=self.rate)
        self.stream.width = width
        self.stream.height = height
        self.stream.pix_fmt = "yuv420p"
        self.stream.options = {"preset": preset, "crf": str(crf)}
        self.frames = 0

    def open(self) -> None:
        """Open the encoder now, so that bad settings fail before any work."""
        self.stream.codec_context.open()

    def _frame(self, image: Image.Image) -> Any:
        return av.VideoFrame.from_image(image).reformat(format="yuv420p")

    def hold(self, image: Image.Image, count: int) -> None:
        """Show `image` for `count` frames."""
        frame = self._frame(image)
        time_base = 1 / self.rate
        for _ in range(count):
            frame.pts = self.frames
            frame.time_base = time_base
            self.frames += 1
            self.output.mux(self.stream.encode(frame))

    def close(self) -> None:
        self.output.mux(self.stream.encode(None))


def _play(encoder: _Encoder, picture: _Picture, clip: Clip) -> None:
    if not clip.is_video:
        encoder.hold(picture.still(clip), clip.duration)
        return
    # A video take plays from its start; a shorter one holds its last frame.
    shown = 0
    last: Image.Image | None = None
    for image in picture.moving(clip):
        if shown == clip.duration:
            break
        encoder.hold(image, 1)
        last = image
        shown += 1
    if shown < clip.duration:
        encoder.hold(last if last is not None else picture.still(clip), clip.duration - shown)


def write_animatic(
    timeline: Timeline,
    path: Path,
    *,
    captions: bool = True,
    preset: str = "veryfast",
    crf: int = 23,
    font_path: Path | None = None,
    progress: Progress | None = None,
) -> None:
    """Encode `timeline` as an MP4 file at `path` (H.264, with AAC music when it has some)."""
    picture = _Picture(timeline, captions, font_path)
    with av.open(str(path), mode="w", format="mp4") as output:
        try:
            encoder = _Encoder(output, timeline, preset, crf)
            encoder.open()
        except (av.FFmpegError, ValueError) as exc:
            raise ExportError(f"cannot start the H.264 encoder (preset {preset!r}): {exc}") from exc
        music = _Soundtrack(output, timeline.music_file) if timeline.music_file else None
        try:
            total = len(timeline.clips)
            for done, clip in enumerate(timeline.clips, start=1):
                try:
                    _play(encoder, picture, clip)
                except (OSError, ValueError, av.FFmpegError) as exc:
                    what = f"its take {clip.take.path}" if clip.take else "its storyboard card"
                    raise ExportError(f"shot {clip.address}: cannot show {what}: {exc}") from exc
                if music is not None:
                    music.until(encoder.frames / timeline.fps)
                if progress is not None:
                    progress(done, total)
            encoder.close()
        finally:
            if music is not None:
                music.close()


def export_animatic(
    store: ProjectStore,
    scope: str | None = None,
    *,
    captions: bool = True,
    music: str | bool | None = True,
    progress: Progress | None = None,
) -> Path:
    """Export the animatic of the project, or of the chapter, scene or shot at `scope`.

    Each shot shows its active take, or a storyboard card when it has none, for its duration at
    the project's fps. `captions` burns in each shot's code and dialogue. `music` adds the
    soundtrack: True for the project's first music track, a music asset's name or id, or
    False. Returns the path of the MP4 in ``06_Exports``.
    """
    timeline = collect(store, scope, music)
    settings = store.settings
    name = timeline.output_name("animatic", "mp4")
    with exporting(store.path, name) as temp:
        write_animatic(
            timeline,
            temp,
            captions=captions,
            preset=settings.export_video_preset,
            crf=settings.export_video_crf,
            font_path=find_font(settings.export_font),
            progress=progress,
        )
    return temp.parent / name
