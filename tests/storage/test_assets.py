"""The asset library: imports checked by content, characters, other asset types, thumbnails."""

from __future__ import annotations

import array
import hashlib
import io
import json
import math
import random
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import pytest
from PIL import Image

from auteur.model import AssetCategory, Project
from auteur.storage import ProjectStore, Workspace
from auteur.storage.assets import AssetError, asset_slug, category_folder
from auteur.storage.git import LFS_PATTERNS
from auteur.storage.media import KNOWN_EXTENSIONS, TRASH_DIR, UploadError, probe

LFS_HEADER = b"version https://git-lfs.github.com/spec/v1"


# ---------------------------------------------------------------------- media made for tests


def png_bytes(colour: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (64, 48)):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def noise_png(side: int = 64) -> bytes:
    """A PNG that does not compress: its size is about side * side * 3 bytes."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), random.Random(side).randbytes(side * side * 3)).save(
        out, "PNG"
    )
    return out.getvalue()


def jpeg_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def audio_bytes(fmt: str = "wav", seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A sine tone encoded by PyAV: WAV (PCM) or MP3."""
    out = io.BytesIO()
    with av.open(out, "w", format=fmt) as container:
        codec = "pcm_s16le" if fmt == "wav" else "libmp3lame"
        stream = container.add_stream(codec, rate=rate, layout="mono")
        step = stream.codec_context.frame_size or 1024
        total = int(seconds * rate)
        for start in range(0, total, step):
            count = min(step, total - start)
            tone = (math.sin(2 * math.pi * 440 * (start + i) / rate) for i in range(count))
            frame = av.AudioFrame(format="s16", layout="mono", samples=count)
            frame.planes[0].update(array.array("h", (int(v * 9000) for v in tone)).tobytes())
            frame.sample_rate, frame.pts = rate, start
            for packet in stream.encode(frame):  # PyAV converts to the codec's sample format
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def video_bytes(frames: int = 12, size: tuple[int, int] = (64, 48)) -> bytes:
    """A half-second MP4 (MPEG-4 part 2) made by PyAV."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=24)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        for n in range(frames):
            image = Image.new("RGB", size, (n * 20, 60, 90))
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def safetensors_bytes() -> bytes:
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    return struct.pack("<Q", len(header)) + header + bytes(8)


# ---------------------------------------------------------------------- fixtures


@pytest.fixture
def film(workspace: Workspace) -> ProjectStore:
    """A project whose imports are not committed (faster); committing is tested on its own."""
    path = workspace.create_project("Asset Film").path
    return ProjectStore.open(path, workspace.settings.model_copy(update={"auto_commit": False}))


@pytest.fixture
def events(film: ProjectStore) -> list[Any]:
    seen: list[Any] = []
    film.bus.subscribe(seen.append)
    return seen


def files_under(root: Path) -> dict[str, bytes]:
    """Every file below `root` (git's own folder aside) with its content."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


# ---------------------------------------------------------------------- importing


def test_an_image_is_imported_with_its_metadata_and_thumbnail(
    film: ProjectStore, tmp_path: Path, events: list[Any]
) -> None:
    source = tmp_path / "Diner Night.png"
    source.write_bytes(png_bytes(size=(640, 360)))
    asset, files = film.assets.add("locations", "Joe's Diner", [source], description="Neon")

    assert (asset.folder, asset.description) == ("01_Assets/Locations/joes-diner", "Neon")
    [file] = files
    assert file.path == "01_Assets/Locations/joes-diner/Diner_Night.png"
    assert (file.kind, file.format, file.width, file.height) == ("image", "PNG", 640, 360)
    assert file.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert file.size == source.stat().st_size
    assert (film.path / file.path).read_bytes() == source.read_bytes()
    assert asset.reference_images == [file.path]  # a location's images are its references
    thumb = film.path / str(file.thumbnail)
    assert file.thumbnail.startswith("05_Cache/thumbnails/")
    with Image.open(thumb) as image:
        assert max(image.size) == film.settings.thumbnail_size
    assert [e.type for e in events] == ["asset_added"]
    assert events[0].category is AssetCategory.LOCATIONS
    assert events[0].asset["name"] == "Joe's Diner"
    # The manifest holds it after a reload.
    again = ProjectStore.open(film.path, film.settings)
    assert again.assets.get("joe's diner").files[0].sha256 == file.sha256


def test_audio_and_video_get_their_duration_and_format(film: ProjectStore) -> None:
    asset, files = film.assets.add(
        "music",
        "Theme",
        [("theme.wav", audio_bytes("wav", 1.0)), ("theme.mp3", audio_bytes("mp3", 1.0))],
    )
    wav, mp3 = files
    assert (wav.kind, wav.format, mp3.kind, mp3.format) == ("audio", "wav", "audio", "mp3")
    assert wav.duration == pytest.approx(1.0, abs=0.01)
    assert mp3.duration == pytest.approx(1.0, abs=0.15)
    assert asset.duration == wav.duration  # the first track sets the music's duration
    assert (film.path / str(wav.thumbnail)).is_file()  # a waveform

    _, [clip] = film.assets.add("styles", "Neon Noir", [("look.mp4", video_bytes())])
    assert (clip.kind, clip.format, clip.width, clip.height) == ("video", "mov", 64, 48)
    assert clip.duration == pytest.approx(0.5, abs=0.05)
    assert (film.path / str(clip.thumbnail)).is_file()  # its first frame


def test_a_track_sets_duration_and_bpm(film: ProjectStore) -> None:
    music = film.assets.create("music", "Chase")
    track = film.assets.add_track(music, ("chase.wav", audio_bytes(seconds=0.5)), bpm=128)
    music = film.assets.get("Chase")
    assert music.duration == pytest.approx(0.5, abs=0.01) == track.duration
    assert music.bpm == 128
    with pytest.raises(UploadError, match="expected audio content"):
        film.assets.add_track(music, ("cover.png", png_bytes()))


def test_the_content_decides_the_extension(film: ProjectStore) -> None:
    _, files = film.assets.add(
        "styles", "Grain", [("still.dat", jpeg_bytes()), ("noextension", png_bytes())]
    )
    assert [f.path.rsplit("/", 1)[1] for f in files] == ["still.jpg", "noextension.png"]
    assert [f.format for f in files] == ["JPEG", "PNG"]


def test_lora_weights_are_recognised_by_their_header(film: ProjectStore) -> None:
    info = probe(safetensors_bytes())
    assert (info.kind, info.format) == ("model", "safetensors")
    _, [file] = film.assets.add("characters", "Ava", [("ava.bin", safetensors_bytes())])
    assert file.path.endswith("/ava.safetensors")  # .bin is not what the header says
    assert file.thumbnail is None


def test_names_are_normalised_and_collisions_get_a_suffix(film: ProjectStore) -> None:
    decomposed = "Cafe\u0301 Sign.png"  # é written as e + combining accent (NFD)
    first = png_bytes((1, 2, 3))
    _, [a] = film.assets.add("locations", "Café", [(decomposed, first)])
    _, [b] = film.assets.add("locations", "Café", [("Caf\u00e9 Sign.png", png_bytes((4, 5, 6)))])
    _, [c] = film.assets.add("locations", "café", [("a:b?.png", png_bytes())])
    assert a.path.endswith("/Caf\u00e9_Sign.png")
    assert b.path.endswith("/Caf\u00e9_Sign_2.png")
    assert c.path.endswith("/a_b.png")
    assert (film.path / a.path).read_bytes() == first  # never overwritten
    assert len(film.assets.list("locations")) == 1  # the same asset, matched by name


def test_each_asset_gets_its_own_folder(film: ProjectStore) -> None:
    a = film.assets.create("characters", "Ava")
    b = film.assets.create("locations", "Ava")
    assert a.folder == "01_Assets/Characters/ava"
    assert b.folder == "01_Assets/Locations/ava"
    (film.path / "01_Assets/Characters/bo").mkdir()  # a folder someone made by hand
    c = film.assets.create("characters", "Bo")
    assert c.folder == "01_Assets/Characters/bo-2"
    with pytest.raises(AssetError, match="already exists"):
        film.assets.create("characters", "AVA")
    with pytest.raises(AssetError, match="names 2 assets"):
        film.assets.get("ava")
    assert film.assets.get("ava", "locations") is not None
    assert film.assets.get(a.asset_id).name == "Ava"
    assert asset_slug("Ava Reyes: Part 2") == "ava-reyes-part-2"
    assert asset_slug("Joe\u2019s Café / 東京") == "joes-café-東京"
    assert asset_slug("???") == "asset"
    assert category_folder(AssetCategory.MUSIC) == "01_Assets/Music"


def test_every_recognised_format_is_stored_through_lfs() -> None:
    assert set(LFS_PATTERNS) >= KNOWN_EXTENSIONS


# ---------------------------------------------------------------------- bad uploads

BAD_UPLOADS: list[tuple[str, Callable[[Path], tuple[Any, ...]], str]] = [
    # A name that climbs out of the asset folder.
    ("traversal", lambda tmp: ("characters", [("../../x", png_bytes())]), "must not hold folders"),
    ("traversal-windows", lambda tmp: ("characters", [("..\\..\\x.png", png_bytes())]), "folders"),
    # NUL and other control characters in the name.
    ("nul", lambda tmp: ("characters", [("face\x00.png", png_bytes())]), "control characters"),
    ("newline", lambda tmp: ("characters", [("face\n.png", png_bytes())]), "control characters"),
    # An empty file on disk.
    ("empty", lambda tmp: ("characters", [_write(tmp / "empty.png", b"")]), "is empty"),
    # Over the size limit (set to 4 KB for these tests).
    ("too-big", lambda tmp: ("characters", [("big.png", noise_png(64))]), "the limit is 4,096"),
    # A PNG that is really text.
    ("fake-png", lambda tmp: ("characters", [("face.png", b"just some text\n" * 9)]), "text"),
    # Text with no media name at all.
    ("text", lambda tmp: ("characters", [("notes.txt", b"notes\n")]), "expected image"),
    # A PNG whose bytes are an MP3.
    ("mp3-as-png", lambda tmp: ("music", [("song.png", audio_bytes("mp3"))]), "mp3 audio"),
    # A category that does not exist.
    ("category", lambda tmp: ("props", [("lamp.png", png_bytes())]), "unknown asset category"),
    # A file that is not there.
    ("missing", lambda tmp: ("characters", [tmp / "nowhere.png"]), "no such file"),
]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("make", "message"), [case[1:] for case in BAD_UPLOADS], ids=[c[0] for c in BAD_UPLOADS]
)
def test_a_bad_upload_is_refused_and_nothing_is_written(
    workspace: Workspace, tmp_path: Path, make: Callable[[Path], tuple[Any, ...]], message: str
) -> None:
    store = workspace.create_project("Uploads")
    settings = store.settings.model_copy(update={"auto_commit": False, "max_upload_bytes": 4096})
    store = ProjectStore.open(store.path, settings)
    outside = tmp_path / "outside"
    outside.mkdir()
    category, files = make(outside)
    before, around = files_under(store.path), files_under(tmp_path)

    with pytest.raises((UploadError, AssetError)) as caught:
        store.assets.add(category, "Ava", files)

    assert message in str(caught.value)
    assert files_under(store.path) == before
    assert files_under(tmp_path) == around
    assert store.assets.list() == []


def test_an_asset_file_never_leaves_its_folder_through_a_link(
    film: ProjectStore, tmp_path: Path
) -> None:
    asset = film.assets.create("characters", "Ava")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (film.path / str(asset.folder) / "variations").symlink_to(outside)
    with pytest.raises(UploadError, match="outside"):
        film.assets.add_variation(asset, "expression", "happy", ("x.png", png_bytes()))
    assert list(outside.iterdir()) == []
    assert film.assets.get("Ava").variations == {}


# ---------------------------------------------------------------------- characters


def test_a_character_goes_from_concept_to_production_ready(
    film: ProjectStore, tmp_path: Path, events: list[Any]
) -> None:
    ava = film.assets.create_character("Ava Reyes", description="A night-shift cook")
    assert (ava.stage, ava.description) == ("concept", "A night-shift cook")
    assert events[0].type == "character_created" and events[0].from_concept is True

    with pytest.raises(AssetError, match="needs a base face image"):
        film.assets.set_stage(ava, "visual-identity")
    face = film.assets.set_base_face(ava, ("portrait.jpg", jpeg_bytes()))
    assert face.path == "01_Assets/Characters/ava-reyes/base_face.jpg"
    film.assets.set_stage(ava, "visual-identity")

    with pytest.raises(AssetError) as refused:
        film.assets.set_stage(ava, "production-ready")
    assert "a trigger word" in str(refused.value)
    assert "a trained LoRA" in str(refused.value)
    assert "reference set of 3 angles (it has 0)" in str(refused.value)

    film.assets.update(ava, trigger_word="avarx", seed=1234, voice_id="voice-7")
    for angle in ("front", "left", "right"):
        ref = film.assets.add_reference(ava, (f"{angle}.png", png_bytes()), angle=angle)
        assert ref.path == f"01_Assets/Characters/ava-reyes/references/{angle}.png"
    ready = film.assets.set_stage(ava, "production-ready")
    assert ready.stage == "production-ready"
    assert [r.angle for r in ready.reference_images] == ["front", "left", "right"]
    assert (ready.trigger_word, ready.seed, ready.voice_id) == ("avarx", 1234, "voice-7")

    # Losing the base face steps the character back to concept.
    film.assets.remove_file(ava, face.path)
    assert film.assets.get(ava.asset_id).stage == "concept"
    assert (film.path / TRASH_DIR / face.path).is_file()


def test_a_lora_or_a_reference_set_makes_a_character_production_ready(
    film: ProjectStore, events: list[Any]
) -> None:
    ava = film.assets.create_character(
        "Ava", trigger_word="avarx", base_face=("face.png", png_bytes())
    )
    assert events[0].type == "character_created" and events[0].from_concept is False
    assert ava.variations == {"base_face": ava.base_face_image_path}

    film.assets.set_lora_status(ava, "training", progress=0.25)
    assert film.assets.stage_problems(ava, "production-ready") == [
        "a trained LoRA (its training is training) or a reference set of 3 angles (it has 0)"
    ]
    with pytest.raises(AssetError, match="no LoRA file"):
        film.assets.set_lora_status(ava, "completed")
    lora = film.assets.import_lora(ava, ("ava_v1.safetensors", safetensors_bytes()), strength=0.7)
    assert lora.path == "01_Assets/Characters/ava/lora/ava_v1.safetensors"
    ava = film.assets.get("Ava")
    assert (ava.lora_model_path, ava.lora_training_status, ava.lora_strength) == (
        lora.path,
        "completed",
        0.7,
    )
    film.assets.set_stage(ava, "production-ready")

    statuses = [(e.status, e.progress) for e in events if e.type == "character_lora_status"]
    assert statuses == [("training", 0.25), ("completed", 1.0)]

    # A failed retraining with no reference set steps it back to visual identity.
    film.assets.set_lora_status(ava, "failed")
    assert film.assets.get("Ava").stage == "visual-identity"
    with pytest.raises(UploadError, match="expected model content"):
        film.assets.import_lora(ava, ("weights.png", png_bytes()))
    with pytest.raises(AssetError, match="lora_strength"):
        film.assets.import_lora(ava, ("w.safetensors", safetensors_bytes()), strength=5)


def test_variations_have_deterministic_names(film: ProjectStore, events: list[Any]) -> None:
    ava = film.assets.create_character("Ava")
    happy = film.assets.add_variation(ava, "expression", "happy", ("x.png", png_bytes((1, 1, 1))))
    walking = film.assets.add_variation(ava, "Pose", "Walking", ("y.jpg", jpeg_bytes()))
    assert happy.path == "01_Assets/Characters/ava/variations/expression_happy.png"
    assert walking.path == "01_Assets/Characters/ava/variations/pose_walking.jpg"
    assert film.assets.get("Ava").variations == {
        "expression_happy": happy.path,
        "pose_walking": walking.path,
    }
    generated = [e for e in events if e.type == "character_variation_generated"]
    assert [(e.variation_type, e.variation_path) for e in generated] == [
        ("expression_happy", happy.path),
        ("pose_walking", walking.path),
    ]

    with pytest.raises(AssetError, match="already has the variation expression_happy"):
        film.assets.add_variation(ava, "expression", "happy", ("z.png", png_bytes()))
    newer = png_bytes((9, 9, 9))
    again = film.assets.add_variation(ava, "expression", "happy", ("z.png", newer), replace=True)
    assert again.path == happy.path
    assert (film.path / again.path).read_bytes() == newer
    # The old one is in the trash, not lost, and the asset lists the new file once.
    assert (film.path / TRASH_DIR / happy.path).read_bytes() == png_bytes((1, 1, 1))
    assert [f.path for f in film.assets.get("Ava").files].count(happy.path) == 1


def test_ip_adapter_images_and_settings(film: ProjectStore) -> None:
    ava = film.assets.create_character("Ava")
    image = film.assets.add_ip_adapter_image(ava, ("style.png", png_bytes()))
    film.assets.update(ava, ip_adapter_scale=0.4, lora_strength=1.2)
    ava = film.assets.get("Ava")
    assert ava.ip_adapter_images == [image.path]
    assert image.path.startswith("01_Assets/Characters/ava/ip_adapter/")
    assert (ava.ip_adapter_scale, ava.lora_strength) == (0.4, 1.2)
    with pytest.raises(AssetError, match="ip_adapter_scale"):
        film.assets.update(ava, ip_adapter_scale=3)


def test_a_failed_import_leaves_nothing_behind(film: ProjectStore) -> None:
    ava = film.assets.create_character("Ava")
    blocker = film.path / str(ava.folder) / "variations" / "expression_sad.png"
    blocker.parent.mkdir()
    blocker.write_bytes(b"a file nobody registered")
    before = files_under(film.path)
    with pytest.raises(AssetError, match="not registered"):
        film.assets.add_variation(ava, "expression", "sad", ("sad.png", png_bytes()))
    assert files_under(film.path) == before  # no staged copy, no half-published file
    assert film.assets.get("Ava").files == []


# ---------------------------------------------------------------------- other asset types


def test_styles_keep_keywords_and_a_palette(film: ProjectStore) -> None:
    style = film.assets.create(
        "styles", "Neon Noir", keywords=["neon", " rain ", "neon"], palette=["#FF00aa", "0f0"]
    )
    assert style.keywords == ["neon", "rain"]
    assert style.palette == ["#ff00aa", "#00ff00"]
    ref = film.assets.add_reference(style, ("mood.png", png_bytes()))
    assert film.assets.get("Neon Noir").reference_images == [ref.path]
    with pytest.raises(AssetError, match="not #rrggbb"):
        film.assets.update(style, palette=["red"])
    with pytest.raises(AssetError, match="cannot update bpm of a style"):
        film.assets.update(style, bpm=120)
    with pytest.raises(AssetError, match="cannot be given trigger_word"):
        film.assets.create("locations", "Pier", trigger_word="x")


def test_updates_rename_and_check_names(film: ProjectStore) -> None:
    film.assets.create("locations", "Pier")
    diner = film.assets.create("locations", "Diner")
    film.assets.update(diner, name="Joe's Diner", tags=["night", "interior"])
    assert film.assets.get("joe's diner").tags == ["night", "interior"]
    with pytest.raises(AssetError, match="already exists"):
        film.assets.update(diner, name="pier")
    with pytest.raises(AssetError, match="cannot update usage"):
        film.assets.update(diner, usage=["shot-x"])
    with pytest.raises(AssetError, match="not a character"):
        film.assets.set_base_face(diner, ("f.png", png_bytes()))


def test_thumbnails_are_regenerated_from_the_sources(film: ProjectStore) -> None:
    _, files = film.assets.add(
        "characters", "Ava", [("a.png", png_bytes()), ("b.wav", audio_bytes(seconds=0.2))]
    )
    thumbs = [film.path / str(f.thumbnail) for f in files]
    for thumb in thumbs:
        thumb.unlink()
    assert film.assets.regenerate_thumbnails() == 2
    assert all(t.is_file() for t in thumbs)
    thumbs[0].unlink()
    assert film.assets.thumbnail(files[0]) == thumbs[0] and thumbs[0].is_file()


# ---------------------------------------------------------------------- git and LFS


@pytest.mark.git
def test_imported_media_is_committed_through_lfs(project: ProjectStore) -> None:
    assert project.settings.auto_commit
    ava = project.assets.create_character("Ava", base_face=("face.png", png_bytes()))
    _, [track] = project.assets.add("music", "Theme", [("theme.wav", audio_bytes())])
    lora = project.assets.import_lora(ava, ("ava.safetensors", safetensors_bytes()))

    for path in (str(ava.base_face_image_path), track.path, lora.path):
        assert project.git.show("HEAD", path).startswith(LFS_HEADER), path
    manifest = json.loads(project.git.show("HEAD", "project.json"))
    assert Project.model_validate(manifest).assets.characters[0].name == "Ava"
    assert project.git.is_clean()
    assert "Add 1 file to character Ava" in [c.message for c in project.git.log()]
