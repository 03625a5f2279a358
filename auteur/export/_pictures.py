"""Pictures for exports: takes fitted to the frame, storyboard cards and burned-in captions."""

from __future__ import annotations

import functools
import shutil
import subprocess
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from ._timeline import Clip

__all__ = ["caption", "find_font", "fit", "font", "previz_card", "still"]

_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

_BACKGROUND = (28, 30, 36)
_PANEL = (44, 47, 56)
_INK = (236, 236, 236)
_MUTED = (160, 164, 176)
_ACCENT = (242, 178, 64)


@functools.cache
def find_font(configured: Path | None = None) -> Path | None:
    """A TrueType font with wide Unicode coverage: the configured one, else the system's."""
    if configured is not None:
        return configured if Path(configured).is_file() else None
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        found = subprocess.run(
            [fc_match, "--format=%{file}", "sans-serif:style=Regular"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = Path(found) if found else None
    return path if path is not None and path.suffix.lower() in (".ttf", ".otf") else None


@functools.cache
def font(size: int, path: Path | None = None) -> _Font:
    """The font at `size` pixels: `path`, else Pillow's built-in one."""
    if path is not None:
        try:
            return ImageFont.truetype(str(path), size)
        except OSError:
            pass
    return ImageFont.load_default(size)


def fit(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` scaled to fit `size`, centred on black (letterboxed), in RGB."""
    image = ImageOps.exif_transpose(image).convert("RGB")
    if image.size == size:
        return image
    scaled = ImageOps.contain(image, size, Image.Resampling.BILINEAR)
    if scaled.size == size:
        return scaled
    canvas = Image.new("RGB", size, (0, 0, 0))
    canvas.paste(scaled, ((size[0] - scaled.width) // 2, (size[1] - scaled.height) // 2))
    return canvas


def still(path: Path, size: tuple[int, int]) -> Image.Image:
    """The picture of a take file (the first frame of a video), fitted to `size`."""
    try:
        with Image.open(path) as image:
            return fit(image, size)
    except (OSError, ValueError):
        pass
    import av

    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            return fit(frame.to_image(), size)
    raise OSError(f"{path} has no picture")


def _wrap(text: str, width: int, lines: int) -> list[str]:
    wrapped = textwrap.wrap(" ".join(text.split()), width) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: max(0, width - 1)].rstrip() + "…"
    return wrapped


def previz_card(clip: Clip, size: tuple[int, int], fps: int, font_path: Path | None) -> Image.Image:
    """A storyboard card for a shot with no take: its code, heading, camera and description."""
    width, height = size
    unit = max(8, height // 24)
    card = Image.new("RGB", size, _BACKGROUND)
    draw = ImageDraw.Draw(card)
    margin = unit * 2
    draw.rectangle(
        (margin // 2, margin // 2, width - margin // 2, height - margin // 2),
        outline=_PANEL,
        width=max(2, unit // 4),
    )
    y = margin
    draw.text((margin, y), clip.code, font=font(unit * 2, font_path), fill=_ACCENT)
    y += unit * 3
    heading = clip.scene.heading or clip.scene.title
    chars = max(20, int(width / (unit * 0.55)))
    for line in _wrap(heading, chars, 1):
        draw.text((margin, y), line, font=font(unit, font_path), fill=_MUTED)
        y += int(unit * 1.5)
    draw.text((margin, y), clip.camera(fps), font=font(unit, font_path), fill=_MUTED)
    y += unit * 3
    body = font(int(unit * 1.3), font_path)
    body_chars = max(20, int(width / (unit * 1.3 * 0.55)))
    for line in _wrap(clip.shot.description or clip.shot.title, body_chars, 6):
        draw.text((margin, y), line, font=body, fill=_INK)
        y += int(unit * 1.8)
    return card


def _caption_lines(clip: Clip) -> list[str]:
    said = [f"{line.speaker.upper()}: {' '.join(line.text.split())}" for line in clip.shot.dialogue]
    return said


def caption(image: Image.Image, clip: Clip, font_path: Path | None) -> Image.Image:
    """`image` with the shot code and its dialogue burned in at the bottom."""
    image = image.copy()
    width, height = image.size
    unit = max(8, height // 30)
    draw = ImageDraw.Draw(image, "RGBA")
    chars = max(20, int(width / (unit * 0.55)))
    lines = [line for said in _caption_lines(clip) for line in _wrap(said, chars, 2)][:4]
    line_height = int(unit * 1.4)
    box_height = line_height * len(lines) + unit
    if lines:
        top = height - box_height - unit
        draw.rectangle((0, top, width, height - unit // 2), fill=(0, 0, 0, 150))
        y = top + unit // 2
        for line in lines:
            draw.text((unit, y), line, font=font(unit, font_path), fill=_INK)
            y += line_height
    label = f"{clip.code}  {clip.address}"
    label_font = font(unit, font_path)
    box = draw.textbbox((0, 0), label, font=label_font)
    draw.rectangle((0, 0, box[2] + unit * 2, box[3] + unit), fill=(0, 0, 0, 150))
    draw.text((unit, unit // 2), label, font=label_font, fill=_ACCENT)
    return image
