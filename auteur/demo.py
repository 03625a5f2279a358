"""The demo project the studio opens on an empty workspace: a short three-act film with two
characters and a location, made through the storage API like any other project."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from .model import Recipe
from .storage import ProjectStore, Workspace

__all__ = ["DEMO_NAME", "create_demo_project", "draw_face", "draw_location", "draw_sketch"]

DEMO_NAME = "Night Diner (demo)"


@dataclass(frozen=True)
class _Face:
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    eyes: tuple[int, int, int]
    long_hair: bool


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def draw_face(face: _Face, size: int = 512) -> bytes:
    """A simple front-facing portrait, as PNG bytes."""
    image = Image.new("RGB", (size, size), (232, 226, 214))
    draw = ImageDraw.Draw(image)
    s = size / 512
    if face.long_hair:
        draw.rounded_rectangle((106 * s, 110 * s, 406 * s, 470 * s), 90 * s, fill=face.hair)
    draw.rectangle((216 * s, 380 * s, 296 * s, 470 * s), fill=face.skin)  # neck
    draw.ellipse((136 * s, 100 * s, 376 * s, 400 * s), fill=face.skin)
    draw.chord((126 * s, 80 * s, 386 * s, 300 * s), 180, 360, fill=face.hair)
    for x in (206, 306):
        draw.ellipse(((x - 22) * s, 228 * s, (x + 22) * s, 256 * s), fill=(255, 255, 255))
        draw.ellipse(((x - 10) * s, 232 * s, (x + 10) * s, 252 * s), fill=face.eyes)
    draw.line((256 * s, 262 * s, 246 * s, 308 * s, 262 * s, 310 * s), fill=(150, 100, 80), width=3)
    draw.arc((206 * s, 300 * s, 306 * s, 350 * s), 20, 160, fill=(160, 60, 60), width=int(6 * s))
    draw.rectangle((0, 470 * s, size, size), fill=(70, 90, 120))  # shoulders
    return _png(image)


def draw_location(width: int = 768, height: int = 432) -> bytes:
    """A roadside diner at night under a neon sign, as PNG bytes."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # night sky, darker at the top
        shade = int(20 + 40 * y / height)
        draw.line((0, y, width, y), fill=(shade // 2, shade // 2, shade + 30))
    ground = int(height * 0.72)
    draw.rectangle((0, ground, width, height), fill=(40, 40, 45))
    draw.rectangle(
        (int(width * 0.2), int(height * 0.38), int(width * 0.8), ground), fill=(190, 190, 200)
    )
    for i in range(5):  # lit windows
        left = int(width * (0.24 + i * 0.11))
        draw.rectangle(
            (left, int(height * 0.48), left + int(width * 0.08), int(height * 0.62)),
            fill=(255, 214, 120),
        )
    sign = (int(width * 0.36), int(height * 0.22), int(width * 0.64), int(height * 0.34))
    draw.rounded_rectangle(sign, 8, outline=(255, 60, 150), width=4)
    font = ImageFont.load_default(size=max(12, height // 12))
    draw.text(
        ((sign[0] + sign[2]) / 2, (sign[1] + sign[3]) / 2),
        "DINER",
        fill=(255, 90, 170),
        font=font,
        anchor="mm",
    )
    return _png(image)


def draw_sketch(caption: str, width: int = 640, height: int = 360) -> bytes:
    """A storyboard sketch frame with a caption, as PNG bytes."""
    image = Image.new("RGB", (width, height), (246, 244, 238))
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, width - 9, height - 9), outline=(60, 60, 60), width=3)
    draw.line((8, int(height * 0.7), width - 9, int(height * 0.7)), fill=(120, 120, 120), width=2)
    draw.ellipse(
        (int(width * 0.42), int(height * 0.25), int(width * 0.5), int(height * 0.4)),
        outline=(40, 40, 40),
        width=3,
    )
    draw.line(
        (int(width * 0.46), int(height * 0.4), int(width * 0.46), int(height * 0.62)),
        fill=(40, 40, 40),
        width=3,
    )
    font = ImageFont.load_default(size=18)
    draw.text((20, height - 40), caption[:60], fill=(30, 30, 30), font=font)
    return _png(image)


_AVA = _Face(skin=(236, 196, 164), hair=(120, 50, 30), eyes=(60, 110, 70), long_hair=True)
_LEO = _Face(skin=(190, 140, 105), hair=(30, 30, 35), eyes=(70, 50, 30), long_hair=False)

#: (chapter number, scene title, scene description, shots as (description, framing, cast)).
_SCENES = [
    (
        1,
        "Closing Time",
        "The last customer leaves; Ava wipes the counter.",
        [
            ("Neon sign flickers over the empty parking lot", "extreme-wide", ()),
            ("Ava wipes the counter, humming to herself", "medium", ("ava",)),
            ("The door bell rings", "insert", ()),
        ],
    ),
    (
        1,
        "The Stranger",
        "Leo walks in out of the rain and asks for coffee.",
        [
            ("Leo stands in the doorway, soaked", "full", ("leo",)),
            ("Ava and Leo size each other up across the counter", "two-shot", ("ava", "leo")),
        ],
    ),
    (
        2,
        "The Offer",
        "Leo slides an envelope across the counter.",
        [
            ("Close on the envelope under Leo's hand", "insert", ("leo",)),
            ("Ava hesitates", "close-up", ("ava",)),
            ("Over Leo's shoulder, Ava opens it", "over-the-shoulder", ("ava", "leo")),
        ],
    ),
    (
        3,
        "Dawn",
        "Morning light; the stool where Leo sat is empty.",
        [
            ("Sunrise over the diner", "wide", ()),
            ("Ava counts the money, smiling", "medium-close-up", ("ava",)),
        ],
    ),
]


def create_demo_project(workspace: Workspace, name: str = DEMO_NAME) -> ProjectStore:
    """Create the demo project in `workspace` and return it open."""
    store = workspace.create_project(name, "low", "three-act")
    assets = store.assets
    ava = assets.create_character(
        "Ava",
        description="A night-shift waitress in her thirties who has seen every kind of trouble.",
        base_face=("ava_face.png", draw_face(_AVA)),
        trigger_word="ava_diner",
        prompt_fragment="woman with auburn hair, diner uniform",
    )
    leo = assets.create_character(
        "Leo",
        description="A soft-spoken stranger with a secret and a wet coat.",
        base_face=("leo_face.png", draw_face(_LEO)),
        trigger_word="leo_stranger",
        prompt_fragment="man with short black hair, dark trench coat",
    )
    diner, _ = assets.add(
        "locations",
        "Midnight Diner",
        [("diner_night.png", draw_location())],
        description="A chrome roadside diner under a pink neon sign, at night.",
    )
    cast = {"ava": ava.asset_id, "leo": leo.asset_id}
    first_shot = None
    for chapter, title, description, shots in _SCENES:
        scene = store.add_scene(str(chapter), title, description)
        for text, framing, people in shots:
            shot = store.add_shot(
                scene.id,
                text,
                framing=framing,
                characters=[cast[p] for p in people],
                location=diner.asset_id,
            )
            first_shot = first_shot or shot
    if first_shot is not None:
        # A sketch take, so the gallery and the storyboard have a picture from the start.
        recipe = Recipe(pipeline_id="demo-sketch", prompt=first_shot.description)
        store.takes.add_take(first_shot.id, draw_sketch(first_shot.description), recipe)
    store.commit("Create the demo project")
    return store
