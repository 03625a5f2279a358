"""Media files: what a file really is (by content), its metadata, thumbnails and the trash.

The type of a file comes from its bytes, never from its name: Pillow reads images, PyAV reads
audio and video, and model weights are recognised by their header. A file whose name claims one
type while its content is another is refused, and an imported file gets the extension of what it
really is, so that `.gitattributes` sends it through git-lfs.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import struct
import unicodedata
import uuid
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from PIL import Image, ImageDraw, UnidentifiedImageError

from ._atomic import TEMP_SUFFIX, atomic_write, fsync_dir
from .names import NameError_, safe_file_name

__all__ = [
    "THUMBNAIL_DIR",
    "TRASH_DIR",
    "MediaInfo",
    "MediaKind",
    "Source",
    "Upload",
    "UploadError",
    "check_take_content",
    "check_upload_name",
    "claim_file",
    "image_is_whole",
    "inside",
    "inspect_upload",
    "make_thumbnail",
    "move_to_trash",
    "probe",
    "sha256_of",
    "stage_copy",
    "thumbnail_path",
    "write_claimed",
    "write_into",
]

#: Thumbnails live here, mirroring the path of their source (git ignores 05_Cache).
THUMBNAIL_DIR = "05_Cache/thumbnails"
#: Deleted takes and assets are moved here, mirroring their old path, and committed: never lost.
TRASH_DIR = ".auteur/trash"

MediaKind = Literal["image", "audio", "video", "model", "other"]
#: A file's content: bytes in memory, or a file on disk.
Source = bytes | Path

_CHUNK = 1024 * 1024

# Pillow format → the extensions it may carry; the first is the one given to imports.
_IMAGE_FORMATS: dict[str, tuple[str, ...]] = {
    "PNG": ("png",),
    "JPEG": ("jpg", "jpeg"),
    "GIF": ("gif",),
    "WEBP": ("webp",),
    "BMP": ("bmp",),
    "TIFF": ("tif", "tiff"),
    "PSD": ("psd",),
}
# PyAV container (first name of its demuxer) → extensions for audio-only and for video content.
_AV_FORMATS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "wav": (("wav",), ()),
    "mp3": (("mp3",), ()),
    "flac": (("flac",), ()),
    "ogg": (("ogg", "oga"), ()),
    "aac": (("aac",), ()),
    "aiff": (("aiff", "aif"), ()),
    "mov": (("m4a",), ("mp4", "mov", "m4v")),
    "matroska": (("mkv",), ("mkv", "webm")),
    "avi": ((), ("avi",)),
    "mxf": ((), ("mxf",)),
}
# Model weights: extensions accepted for each recognised header.
_MODEL_FORMATS: dict[str, tuple[str, ...]] = {
    "safetensors": ("safetensors",),
    "gguf": ("gguf",),
    "pytorch": ("pt", "pth", "ckpt"),
}
_PIL_FORMATS = tuple(_IMAGE_FORMATS)
#: Extensions whose content Auteur can read; a file named so must really be that.
KNOWN_EXTENSIONS = frozenset(
    {e for exts in _IMAGE_FORMATS.values() for e in exts}
    | {e for pair in _AV_FORMATS.values() for exts in pair for e in exts}
    | {e for exts in _MODEL_FORMATS.values() for e in exts}
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class UploadError(ValueError):
    """A file cannot be imported; the message names the file and what is wrong with it."""


@dataclass(frozen=True)
class MediaInfo:
    """What a file's content is, learned by reading it."""

    kind: MediaKind
    format: str
    extensions: tuple[str, ...] = ()
    size: int = 0
    sha256: str = ""
    width: int | None = None
    height: int | None = None
    duration: float | None = None

    @property
    def extension(self) -> str:
        """The extension an imported file of this content gets."""
        return self.extensions[0] if self.extensions else ""

    def metadata(self) -> dict[str, Any]:
        """Width, height, duration and format, leaving out what does not apply."""
        data = {"format": self.format, "width": self.width, "height": self.height}
        data["duration"] = self.duration
        return {k: v for k, v in data.items() if v is not None}


@dataclass(frozen=True)
class Upload:
    """A file checked for import: its safe name, its content and what the content is."""

    name: str
    source: Source = field(repr=False)
    info: MediaInfo


# ------------------------------------------------------------------ reading content


@contextlib.contextmanager
def _opened(source: Source) -> Iterator[IO[bytes]]:
    if isinstance(source, bytes | bytearray | memoryview):
        yield io.BytesIO(source)
    else:
        with open(source, "rb") as handle:
            yield handle


def _size(source: Source) -> int:
    return len(source) if isinstance(source, bytes | bytearray) else Path(source).stat().st_size


def image_is_whole(source: Source) -> bool:
    """True when every part of the image in `source` reads back intact (no cut, no bad
    checksum): what `probe` checks unless told not to."""
    if isinstance(source, bytes | bytearray) and source[:8] == _PNG_SIGNATURE:
        return _png_is_whole(memoryview(source))
    return _image_info(source) is not None


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_is_whole(data: memoryview) -> bool:
    """Walk a PNG's chunks as Pillow's verify does, checking each one's CRC, up to IEND.

    The same check at a fraction of the cost: the checksums run in zlib, in one call per chunk.
    """
    offset, end = len(_PNG_SIGNATURE), len(data)
    while offset + 12 <= end:
        (length,) = struct.unpack_from(">I", data, offset)
        body_end = offset + 8 + length
        if body_end + 4 > end:
            return False  # cut short
        (crc,) = struct.unpack_from(">I", data, body_end)
        if zlib.crc32(data[offset + 4 : body_end]) != crc:
            return False
        if data[offset + 4 : offset + 8] == b"IEND":
            return True
        offset = body_end + 4
    return False


def sha256_of(source: Source) -> str:
    """The sha256 of a file's content (bytes or a path), as hex."""
    if isinstance(source, bytes | bytearray):
        return hashlib.sha256(source).hexdigest()
    digest = hashlib.sha256()
    with open(source, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _head(source: Source, count: int) -> bytes:
    if isinstance(source, bytes | bytearray):
        return bytes(source[:count])
    with open(source, "rb") as handle:
        return handle.read(count)


def _model_format(source: Source, size: int) -> str | None:
    head = _head(source, 16)
    if head.startswith(b"GGUF"):
        return "gguf"
    if len(head) >= 9:
        (length,) = struct.unpack("<Q", head[:8])
        if 2 <= length <= min(size - 8, 100 * 1024**2) and head[8:9] == b"{":
            try:
                header = json.loads(_head(source, 8 + length)[8:])
            except (UnicodeDecodeError, ValueError):
                header = None
            if isinstance(header, dict):
                return "safetensors"
    if head.startswith(b"PK\x03\x04"):
        with _opened(source) as handle, contextlib.suppress(zipfile.BadZipFile):
            names = zipfile.ZipFile(handle).namelist()
            if any(n.endswith("/data.pkl") or n == "data.pkl" for n in names):
                return "pytorch"
    return None


#: The bit depths each PNG colour type allows.
_PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}


def _png_header_info(data: bytes | bytearray) -> MediaInfo | None:
    """A PNG's format and size from a plain header chunk, checksum included; None for
    anything less ordinary, which Pillow then reads."""
    if len(data) < 33 or data[:8] != _PNG_SIGNATURE or data[8:16] != b"\0\0\0\x0dIHDR":
        return None
    width, height, depth, colour, compression, filtering = struct.unpack_from(">IIBBBB", data, 16)
    (crc,) = struct.unpack_from(">I", data, 29)
    limit = Image.MAX_IMAGE_PIXELS
    if (
        zlib.crc32(data[12:29]) != crc
        or not width
        or not height
        or (limit is not None and width * height > limit)  # Pillow warns or refuses
        or depth not in _PNG_DEPTHS.get(colour, ())
        or compression
        or filtering
    ):
        return None
    return MediaInfo("image", "PNG", _IMAGE_FORMATS["PNG"], width=width, height=height)


def _image_info(source: Source, verify: bool = True) -> MediaInfo | None:
    if not verify and isinstance(source, bytes | bytearray):
        # The header is all a caller that checks the rest itself needs; parsing it here
        # skips Pillow's set-up, which costs more than the parse.
        found = _png_header_info(source)
        if found is not None:
            return found
    with warnings.catch_warnings():
        # Probing reads headers only; very large images are fine to store.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            # Only the formats Auteur stores: fewer parsers see untrusted bytes.
            with _opened(source) as handle, Image.open(handle, formats=_PIL_FORMATS) as image:
                fmt, (width, height) = image.format or "", image.size
                if verify:
                    image.verify()  # checks the whole file; the image is unusable afterwards
        except Image.DecompressionBombError as exc:
            raise UploadError(f"the image is too large to read safely ({exc})") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error):
            return None
    return MediaInfo("image", fmt, _IMAGE_FORMATS.get(fmt, ()), width=width, height=height)


def _av_info(source: Source) -> MediaInfo | None:
    try:
        import av
    except ImportError:  # pragma: no cover - av comes with the media extra
        return None
    try:
        with _opened(source) as handle, av.open(handle, "r") as container:
            return _container_info(container)
    except (av.FFmpegError, OSError, ValueError, StopIteration, UnicodeDecodeError):
        return None


def _container_info(container: Any) -> MediaInfo | None:
    import av

    name = container.format.name.split(",")[0]
    if name not in _AV_FORMATS:
        return None
    attached = av.stream.Disposition.attached_pic
    videos = [s for s in container.streams.video if not s.disposition & attached]
    audios = list(container.streams.audio)
    stream = videos[0] if videos else audios[0] if audios else None
    if stream is None:
        return None
    # Headers can lie; one decoded frame proves the stream is real media.
    next(container.decode(stream))
    duration = None
    if container.duration is not None:
        duration = container.duration / av.time_base
    elif stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    audio_exts, video_exts = _AV_FORMATS[name]
    if videos:
        ctx = stream.codec_context
        return MediaInfo(
            "video", name, video_exts, width=ctx.width, height=ctx.height, duration=duration
        )
    return MediaInfo("audio", name, audio_exts, duration=duration)


def _looks_like_text(source: Source) -> bool:
    head = _head(source, 4096)
    try:  # incremental: a character cut at the end of the sample is not an error
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return all(c.isprintable() or c in "\r\n\t" for c in text)


def probe(source: Source, *, digest: bool = True, verify: bool = True) -> MediaInfo:
    """Read `source` and say what it is: image, audio, video, model weights or other.

    Without `digest` the sha256 is left empty, and without `verify` an image is known by its
    header alone (`image_is_whole` checks the rest), for a caller that does those at a better
    time.
    """
    size = _size(source)
    info = None
    if size:
        model = _model_format(source, size)
        if model is not None:
            info = MediaInfo("model", model, _MODEL_FORMATS[model])
        else:
            info = _image_info(source, verify) or _av_info(source)
    if info is None:
        info = MediaInfo("other", "text" if size and _looks_like_text(source) else "")
    return MediaInfo(
        info.kind,
        info.format,
        info.extensions,
        size=size,
        sha256=sha256_of(source) if digest else "",
        width=info.width,
        height=info.height,
        duration=info.duration,
    )


# ------------------------------------------------------------------ checking uploads


def check_upload_name(name: str, max_length: int = 120) -> str:
    """Return the portable, NFC-normalised file name for an uploaded file named `name`.

    A name holding folders (``../../x``), control characters or nothing usable is refused.
    """
    if not isinstance(name, str):
        raise UploadError(f"a file name must be text, got {type(name).__name__}")
    if _CONTROL.search(name):
        raise UploadError(f"file name {name!r} contains control characters")
    text = unicodedata.normalize("NFC", name).strip()
    if not text:
        raise UploadError("the file name is empty")
    if "/" in text or "\\" in text or text in (".", ".."):
        raise UploadError(f"file name {name!r} is not a plain file name: it must not hold folders")
    try:
        return safe_file_name(text, max_length)
    except NameError_ as exc:
        raise UploadError(str(exc)) from None


def _describe(info: MediaInfo) -> str:
    if info.kind == "other":
        return "text" if info.format == "text" else "not a recognised media or model file"
    return f"{info.format} {info.kind}"


def inspect_upload(
    source: Source,
    name: str | None = None,
    *,
    max_bytes: int,
    kinds: tuple[str, ...] = ("image", "audio", "video", "model"),
) -> Upload:
    """Check one file for import and return it with its safe name and what it holds.

    `name` defaults to the file's own name. Refused with `UploadError`: a bad name, a missing
    or empty file, one over `max_bytes`, content that is none of `kinds`, or content that is
    not what the name's extension says. Nothing is written.
    """
    if isinstance(source, str):
        source = Path(source)
    if name is None:
        if not isinstance(source, Path):
            raise UploadError("a file given as bytes needs a name")
        name = source.name
    safe = check_upload_name(name)
    if isinstance(source, Path):
        if not source.is_file():
            raise UploadError(f"{name!r}: no such file ({source})")
    elif not isinstance(source, bytes | bytearray):
        raise UploadError(f"{name!r}: expected bytes or a file path")
    size = _size(source)
    if size == 0:
        raise UploadError(f"{name!r} is empty")
    if size > max_bytes:
        raise UploadError(f"{name!r} is {size:,} bytes; the limit is {max_bytes:,} bytes")
    info = probe(source)
    stem, dot, ext = safe.rpartition(".")
    ext = ext.lower() if dot else ""
    claims_other = ext in KNOWN_EXTENSIONS and ext not in info.extensions
    if claims_other:
        raise UploadError(f"{name!r} is named as {ext} but its content is {_describe(info)}")
    if info.kind not in kinds:
        wanted = " or ".join(kinds)
        raise UploadError(f"{name!r} is {_describe(info)}; expected {wanted} content here")
    if ext not in info.extensions:
        safe = f"{stem if dot else safe}.{info.extension}"
    return Upload(safe, bytes(source) if isinstance(source, bytearray) else source, info)


def check_take_content(info: MediaInfo, ext: str) -> None:
    """Refuse take data whose content contradicts its extension (e.g. text saved as png)."""
    if info.kind == "other" and ext in KNOWN_EXTENSIONS:
        raise UploadError(f"take data is {_describe(info)}, not {ext}")
    if info.extensions and ext not in info.extensions:
        raise UploadError(f"take data is {_describe(info)}, not {ext}")


# ------------------------------------------------------------------ writing files


def inside(root: Path, path: Path) -> Path:
    """Return `path` resolved, or refuse it if it resolves outside `root` (links included)."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise UploadError(f"{path} resolves to {resolved}, outside {root}")
    return resolved


def claim_file(folder: Path, stem: str, ext: str, *, suffix: bool = True) -> tuple[Path, int]:
    """Create a new empty file ``stem.ext`` in `folder` (or ``stem_2.ext``...) and open it.

    Creation with O_EXCL never replaces a file: when the name is taken the next suffix is
    tried, or, with ``suffix=False``, `FileExistsError` is raised. Returns the path and an fd.
    """
    dot_ext = f".{ext}" if ext else ""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    counter = 1
    while True:
        name = f"{stem}{dot_ext}" if counter == 1 else f"{stem}_{counter}{dot_ext}"
        path = folder / name
        try:
            return path, os.open(path, flags, 0o644)
        except FileExistsError:
            if not suffix:
                raise
            counter += 1


def write_into(fd: int, source: Source) -> None:
    """Write `source` (bytes or a file's path) into the open file `fd`, leaving it open."""
    with os.fdopen(fd, "wb", closefd=False) as handle:
        if isinstance(source, bytes | bytearray | memoryview):
            handle.write(source)
        else:
            with open(source, "rb") as src:
                shutil.copyfileobj(src, handle, _CHUNK)


def write_claimed(fd: int, source: Source, *, durable: bool = True) -> None:
    """Write `source` into the file this process created and holds open as `fd`; close it.

    With `durable` the content is flushed to disk (fsync) before returning.
    """
    try:
        write_into(fd, source)
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)


def stage_copy(folder: Path, source: Source) -> Path:
    """Copy `source` into a hidden temporary file in `folder`, on disk; return its path.

    The copy is made before the project lock is taken, so a large import does not hold up
    other writers; publishing it later is a rename.
    """
    temp = folder / f".upload.{uuid.uuid4().hex[:12]}{TEMP_SUFFIX}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o644)
    try:
        write_claimed(fd, source)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def move_to_trash(root: Path, rel: str) -> str:
    """Move the file or folder `rel` of the project into the trash; return its trash path.

    The trash mirrors the project's paths; a name already there gets a suffix.
    """
    source = inside(root, root / rel)
    target = root / TRASH_DIR / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    stem, dot, ext = target.name.rpartition(".")
    if source.is_dir() or not dot:
        stem, ext = target.name, ""
    counter = 2
    while target.exists():
        target = target.with_name(f"{stem}_{counter}.{ext}" if ext else f"{stem}_{counter}")
        counter += 1
    os.rename(source, target)
    fsync_dir(target.parent)
    return target.relative_to(root).as_posix()


# ------------------------------------------------------------------ thumbnails


def thumbnail_path(rel: str) -> str:
    """Where the thumbnail of the project file `rel` lives."""
    return f"{THUMBNAIL_DIR}/{rel}.png"


def _image_thumbnail(path: Path, size: int) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            image.draft("RGB", (size, size))  # JPEG decodes at a fraction of full size
            image.thumbnail((size, size))
            return image.convert("RGBA" if "A" in image.getbands() else "RGB")


def _video_thumbnail(path: Path, size: int) -> Image.Image:
    import av

    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
        image = frame.to_image()
    image.thumbnail((size, size))
    return image


def _audio_thumbnail(path: Path, size: int) -> Image.Image:
    """A waveform of the first minute: the peak of each column, drawn as a vertical line."""
    import array

    import av

    width, height = size, max(size // 2, 8)
    resampler = av.AudioResampler(format="s16", layout="mono", rate=8000)
    samples = array.array("h")
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                samples.frombytes(bytes(out.planes[0])[: out.samples * 2])
            if len(samples) >= 60 * 8000:
                break
    image = Image.new("RGB", (width, height), (24, 24, 28))
    draw = ImageDraw.Draw(image)
    middle = height / 2
    step = max(len(samples) // width, 1)
    for x in range(width):
        chunk = samples[x * step : (x + 1) * step]
        peak = max((abs(v) for v in chunk), default=0) / 32768
        draw.line([(x, middle - peak * middle), (x, middle + peak * middle)], (120, 190, 255))
    return image


def make_thumbnail(root: Path, rel: str, kind: str, size: int) -> str | None:
    """Write the thumbnail of project file `rel` (of `kind`) into the cache; return its path.

    Returns None for content that has no picture (model weights).
    """
    makers = {"image": _image_thumbnail, "video": _video_thumbnail, "audio": _audio_thumbnail}
    if kind not in makers:
        return None
    image = makers[kind](inside(root, root / rel), size)
    target_rel = thumbnail_path(rel)
    target = root / target_rel
    target.parent.mkdir(parents=True, exist_ok=True)
    out = io.BytesIO()
    image.save(out, "PNG")
    atomic_write(target, out.getvalue(), durable=False)  # a cache: regenerable, no fsync
    return target_rel
