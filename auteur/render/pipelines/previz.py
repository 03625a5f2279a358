"""The built-in ``previz`` pipeline: storyboard frames drawn with Pillow, on any CPU.

For a shot it draws the location's reference (or a plain backdrop), the characters placed by the
framing (their faces where the project has them, labelled silhouettes otherwise), the style's
palette as a tint and a caption band with the shot code, framing and description. The same job
and seed always give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import random
import textwrap
from dataclasses import dataclass

from PIL import Image, ImageColor, ImageDraw, ImageFont, ImageOps

from ...model import Framing
from ..contract import JobContext, PipelineError, PipelineOutput, RenderJob
from ..prompt import FRAMING_PHRASES, CharacterIdentity, CompositePrompt

__all__ = ["PrevizPipeline", "render_previz"]

_FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "webp": "WEBP"}


@dataclass(frozen=True)
class _Placement:
    """Figure height and where the head sits, as fractions of the frame height."""

    figure: float
    head_y: float


#: How big characters appear for each framing; a figure is eight heads tall.
_PLACEMENTS: dict[Framing | None, _Placement] = {
    Framing.AERIAL: _Placement(0.12, 0.55),
    Framing.EXTREME_WIDE: _Placement(0.22, 0.62),
    Framing.WIDE: _Placement(0.42, 0.5),
    Framing.POV: _Placement(0.6, 0.4),
    Framing.FULL: _Placement(0.8, 0.2),
    Framing.MEDIUM_WIDE: _Placement(1.1, 0.22),
    Framing.TWO_SHOT: _Placement(1.4, 0.3),
    Framing.MEDIUM: _Placement(1.6, 0.3),
    Framing.OVER_THE_SHOULDER: _Placement(1.8, 0.32),
    Framing.MEDIUM_CLOSE_UP: _Placement(2.2, 0.35),
    Framing.CLOSE_UP: _Placement(3.2, 0.42),
    Framing.EXTREME_CLOSE_UP: _Placement(5.5, 0.45),
    None: _Placement(1.6, 0.3),
}


def _colour(text: str) -> tuple[int, int, int]:
    """A stable colour for `text`, so a character keeps its colour across frames."""
    red, green, blue = (
        60 + byte // 2 for byte in hashlib.sha256(text.encode("utf-8")).digest()[:3]
    )
    return red, green, blue


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(8, size))


def _image(context: JobContext, path: str) -> Image.Image:
    try:
        with Image.open(io.BytesIO(context.read_input(path))) as image:
            image.load()
            return image.convert("RGB")
    except OSError as exc:
        raise PipelineError(f"cannot read image {path}: {exc}") from None


class _Frame:
    def __init__(self, job: RenderJob, prompt: CompositePrompt, context: JobContext) -> None:
        self.job = job
        self.prompt = prompt
        self.context = context
        self.width = job.output.width
        self.height = job.output.height
        self.rng = random.Random(job.seed)

    def backdrop(self) -> Image.Image:
        location = self.prompt.location
        if location is not None and location.reference_images:
            image = _image(self.context, location.reference_images[0])
            return ImageOps.fit(image, (self.width, self.height), Image.Resampling.BILINEAR)
        top = tuple(self.rng.randrange(40, 120) for _ in range(3))
        bottom = tuple(self.rng.randrange(90, 200) for _ in range(3))
        column = Image.new("RGB", (1, 256))
        column.putdata(
            [
                tuple(t + (b - t) * y // 255 for t, b in zip(top, bottom, strict=True))
                for y in range(256)
            ]
        )
        image = column.resize((self.width, self.height), Image.Resampling.BILINEAR)
        horizon = int(self.height * self.rng.uniform(0.55, 0.7))
        ImageDraw.Draw(image).line(
            [(0, horizon), (self.width, horizon)],
            fill=tuple(max(0, c - 40) for c in bottom),
            width=max(1, self.height // 300),
        )
        return image

    def characters(self, image: Image.Image) -> None:
        people = self.prompt.characters
        placement = _PLACEMENTS.get(self.prompt.framing, _PLACEMENTS[None])
        if self.prompt.framing == Framing.INSERT or not people:
            return
        figure = self.height * placement.figure
        radius = figure / 16
        draw = ImageDraw.Draw(image)
        for index, person in enumerate(people):
            x = self.width * (index + 1) / (len(people) + 1)
            x += self.width * self.rng.uniform(-0.03, 0.03)
            y = self.height * placement.head_y
            self._figure(image, draw, person, x, y, radius)
            self.context.check_cancelled()

    def _figure(
        self,
        image: Image.Image,
        draw: ImageDraw.ImageDraw,
        person: CharacterIdentity,
        x: float,
        y: float,
        radius: float,
    ) -> None:
        colour = _colour(person.asset_id or person.name)
        shoulders = radius * 2.3
        neck = radius * 0.45
        draw.rectangle((x - neck, y + radius * 0.6, x + neck, y + radius * 1.5), fill=colour)
        draw.rounded_rectangle(
            (x - shoulders, y + radius * 1.3, x + shoulders, y + radius * 14),
            radius=radius * 1.2,
            fill=colour,
        )
        face_path = person.base_face or (
            person.reference_images[0].path if person.reference_images else None
        )
        box = (int(x - radius), int(y - radius), int(x + radius), int(y + radius))
        size = (max(1, box[2] - box[0]), max(1, box[3] - box[1]))
        face = _image(self.context, face_path) if face_path else None
        if face is not None:
            mask = Image.new("L", size, 0)
            ImageDraw.Draw(mask).ellipse((0, 0, size[0] - 1, size[1] - 1), fill=255)
            image.paste(ImageOps.fit(face, size, Image.Resampling.BILINEAR), box[:2], mask)
        else:
            draw.ellipse(box, fill=colour)
        draw.ellipse(box, outline=(20, 20, 20), width=max(1, int(radius / 20)))
        label = person.name or person.trigger_word or person.asset_id
        font = _font(int(min(self.height / 22, max(12, radius * 0.6))))
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        tag_y = max(0.0, y - radius - (bottom - top) * 1.8)
        tag = (x - (right - left) / 2 - 6, tag_y, x + (right - left) / 2 + 6, tag_y + bottom + 8)
        draw.rectangle(tag, fill=(20, 20, 20))
        draw.text((tag[0] + 6, tag_y + 4), label, font=font, fill=(240, 240, 240))

    def tint(self, image: Image.Image) -> Image.Image:
        style = self.prompt.style
        if style is None or not style.palette:
            return image
        try:
            colours = [ImageColor.getrgb(value) for value in style.palette]
        except ValueError as exc:
            raise PipelineError(f"style {style.name}: {exc}") from None
        strip = Image.new("RGB", (len(colours), 1))
        strip.putdata([c[:3] for c in colours])
        wash = strip.resize((self.width, self.height), Image.Resampling.BILINEAR)
        return Image.blend(image, wash, 0.25)

    def caption(self, image: Image.Image) -> None:
        band = max(24, int(self.height * 0.11))
        overlay = Image.new("RGBA", (self.width, band), (0, 0, 0, 180))
        image.paste(overlay, (0, self.height - band), overlay)
        draw = ImageDraw.Draw(image)
        framing = FRAMING_PHRASES.get(self.prompt.framing) if self.prompt.framing else None
        title = "  ·  ".join(
            part for part in (self.prompt.shot_code, (framing or "").upper(), "PREVIZ") if part
        )
        big = _font(band // 3)
        small = _font(band // 4)
        margin = max(4, band // 5)
        draw.text((margin, self.height - band + margin // 2), title, font=big, fill=(255, 255, 255))
        chars = max(10, int(self.width / max(1, band // 8)))
        description = textwrap.shorten(self.prompt.description or "", chars, placeholder="…")
        draw.text(
            (margin, self.height - band + margin // 2 + band // 3 + margin // 2),
            description,
            font=small,
            fill=(220, 220, 220),
        )


def render_previz(job: RenderJob, context: JobContext) -> PipelineOutput:
    """Draw the storyboard frame of `job` and return it encoded."""
    fmt = _FORMATS.get(job.output.format.lower())
    if fmt is None:
        raise PipelineError(f"previz cannot write {job.output.format!r} files")
    prompt = CompositePrompt.model_validate(job.prompt)
    frame = _Frame(job, prompt, context)
    context.report(0.05, "backdrop")
    image = frame.backdrop()
    context.check_cancelled()
    context.report(0.35, "characters")
    frame.characters(image)
    context.report(0.6, "palette")
    image = frame.tint(image)
    context.report(0.7, "caption")
    frame.caption(image)
    context.check_cancelled()
    context.report(0.8, "encoding")
    buffer = io.BytesIO()
    options = (
        {"compress_level": int(job.parameters.get("compressLevel", 6))} if fmt == "PNG" else {}
    )
    image.save(buffer, fmt, **options)
    context.report(1.0, "done")
    return PipelineOutput(
        data=buffer.getvalue(),
        ext=job.output.format.lower(),
        metadata={
            "width": frame.width,
            "height": frame.height,
            "format": fmt,
            "pipeline": "previz",
            "seed": job.seed,
        },
    )


class PrevizPipeline:
    """Storyboard frames on the CPU; needs no model weights."""

    def run(self, job: RenderJob, context: JobContext) -> list[PipelineOutput]:
        return [render_previz(job, context)]
