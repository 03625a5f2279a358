"""The take store: numbering without races, recipes beside takes, the gallery, commits."""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import struct
import sys
import threading
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from auteur.config import Settings
from auteur.model import Recipe, Take
from auteur.storage import ProjectStore, StoreError, Workspace
from auteur.storage._atomic import filesystem_type, names_follow_file_fsync
from auteur.storage.media import TRASH_DIR, UploadError, image_is_whole, probe
from auteur.storage.takes import take_folder, take_name

LFS_HEADER = b"version https://git-lfs.github.com/spec/v1"
WRITERS = 50


def png_bytes(seed: int = 0, size: tuple[int, int] = (32, 24)) -> bytes:
    """A small PNG whose pixels differ with `seed`."""
    out = io.BytesIO()
    Image.new("RGB", size, (seed % 256, seed // 256 % 256, 77)).save(out, "PNG")
    return out.getvalue()


def files_under(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def reopen(store: ProjectStore, **settings: Any) -> ProjectStore:
    return ProjectStore.open(store.path, store.settings.model_copy(update=settings))


@pytest.fixture
def film(workspace: Workspace) -> ProjectStore:
    """A project with scene 1/2 holding shots 1/2/1..1/2/3, its takes not committed."""
    store = reopen(workspace.create_project("Take Film"), auto_commit=False)
    store.add_scene("1", "Cold open")
    store.add_scene("1", "The Diner")
    for title in ("Wide", "Close", "Insert"):
        store.add_shot("1/2", f"{title} shot", title=title)
    return store


@pytest.fixture
def events(film: ProjectStore) -> list[Any]:
    seen: list[Any] = []
    film.bus.subscribe(seen.append, types=["take_created"])
    return seen


# ---------------------------------------------------------------------- adding


def test_takes_are_numbered_in_their_shot_folder(film: ProjectStore, events: list[Any]) -> None:
    first = film.takes.add_take("1/2/3", png_bytes(1), Recipe(seed=1), node_id="node-7")
    second = film.takes.add_take("1/2/3", png_bytes(2), Recipe(seed=2))
    assert first.path == "03_Renders/Chapter_01/Scene_02/Shot_03/S02_S03_take01.png"
    assert second.path == "03_Renders/Chapter_01/Scene_02/Shot_03/S02_S03_take02.png"
    assert (first.number, second.number) == (1, 2)
    assert (film.path / first.path).read_bytes() == png_bytes(1)
    assert first.sha256 == hashlib.sha256(png_bytes(1)).hexdigest()
    assert first.metadata == {
        "format": "PNG",
        "width": 32,
        "height": 24,
        "kind": "image",
        "size": len(png_bytes(1)),
    }
    shot = film.locate("1/2/3").shot
    assert shot is not None and [t.id for t in shot.takes] == [first.id, second.id]
    assert shot.active_take == first.id  # the first take becomes active
    assert [(e.shot_id, e.take_path, e.take_number, e.node_id) for e in events] == [
        (shot.id, first.path, 1, "node-7"),
        (shot.id, second.path, 2, None),
    ]
    # A shot id works as well as an address, and the takes survive a reload.
    third = film.takes.add_take(shot.id, png_bytes(3), Recipe(), ext="PNG")
    assert third.number == 3
    assert [t.number for t in reopen(film).locate(shot.id).shot.takes] == [1, 2, 3]


def test_numbering_helpers() -> None:
    assert take_folder(1, 2, 3) == "03_Renders/Chapter_01/Scene_02/Shot_03"
    assert take_folder(12, 100, 7) == "03_Renders/Chapter_12/Scene_100/Shot_07"
    assert take_name("S01_S01", 7, "png") == "S01_S01_take07.png"
    assert take_name("S01_S01", 100, "mp4") == "S01_S01_take100.mp4"


def test_numbers_grow_to_three_digits_and_skip_taken_names(film: ProjectStore) -> None:
    folder = film.path / take_folder(1, 2, 1)
    folder.mkdir(parents=True)
    for number in range(1, 100):  # names claimed by writers that have not registered yet
        (folder / take_name("S02_S01", number, "png")).write_bytes(b"claimed")
    take = film.takes.add_take("1/2/1", png_bytes(), Recipe())
    assert take.number == 100
    assert take.path.endswith("/S02_S01_take100.png")
    assert (folder / "S02_S01_take07.png").read_bytes() == b"claimed"  # untouched


def test_the_recipe_is_kept_beside_the_take(film: ProjectStore) -> None:
    face = film.assets.create_character("Ava", base_face=("face.png", png_bytes(9)))
    face_path = str(face.base_face_image_path)
    recipe = Recipe(
        pipeline_id="sdxl-base",
        prompt="Ava at the counter, neon light",
        composite_prompt={"positive": "Ava at the counter", "loras": [{"strength": 0.8}]},
        seed=42,
        parameters={"steps": 30, "cfg": 6.5},
        source_assets={face_path: ""},  # the store fills in the hash
    )
    take = film.takes.add_take("1/2/1", png_bytes(), recipe)

    record = json.loads((film.path / take.path).with_suffix(".json").read_text())
    assert record["shotId"] == film.locate("1/2/1").shot.id
    assert record["number"] == 1 and record["path"] == take.path
    stored = record["recipe"]
    assert stored["pipelineId"] == "sdxl-base"
    assert stored["quality"] == "standard"  # from the project, as the shot has none
    assert stored["prompt"] == "Ava at the counter, neon light"
    assert stored["compositePrompt"]["loras"] == [{"strength": 0.8}]
    assert (stored["seed"], stored["parameters"]) == (42, {"steps": 30, "cfg": 6.5})
    assert stored["sourceAssets"] == {face_path: hashlib.sha256(png_bytes(9)).hexdigest()}
    assert stored["generatedAt"]
    del record["shotId"]
    assert Take.model_validate(record) == take  # enough to rebuild the take and re-run it
    assert recipe.source_assets == {face_path: ""}  # the caller's recipe is left alone


def test_a_take_can_come_from_a_file_or_be_any_media(film: ProjectStore, tmp_path: Path) -> None:
    rendered = tmp_path / "render.png"
    rendered.write_bytes(png_bytes(5))
    take = film.takes.add_take("1/2/1", rendered, Recipe())
    assert (film.path / take.path).read_bytes() == rendered.read_bytes()
    depth = film.takes.add_take("1/2/1", b"\x93NUMPY raw depth", Recipe(), ext="npy")
    assert depth.path.endswith("_take02.npy")
    assert depth.metadata["kind"] == "other"


CORRUPT_PNG = bytearray(png_bytes())
CORRUPT_PNG[45] ^= 0xFF  # a byte of the pixel data: its chunk's checksum no longer matches
CORRUPT_PNG = bytes(CORRUPT_PNG)
BAD_TAKES = [
    ("empty", b"", "png", "empty"),
    ("text-as-png", b"this is not an image\n", "png", "take data is text, not png"),
    ("jpeg-as-png", None, "png", "JPEG image, not png"),
    ("cut-short-png", png_bytes()[:-20], "png", "damaged PNG image"),
    ("bad-checksum-png", CORRUPT_PNG, "png", "damaged PNG image"),
    ("recipe-extension", png_bytes(), "json", "not allowed"),
    ("path-in-extension", png_bytes(), "../x", "not allowed"),
    ("too-big", b"\x00" * 5000, "bin", "the limit is 4,096"),
]


@pytest.mark.parametrize(
    ("data", "ext", "message"), [c[1:] for c in BAD_TAKES], ids=[c[0] for c in BAD_TAKES]
)
def test_bad_take_data_is_refused_and_nothing_is_written(
    film: ProjectStore, data: bytes | None, ext: str, message: str
) -> None:
    if data is None:
        out = io.BytesIO()
        Image.new("RGB", (8, 8)).save(out, "JPEG")
        data = out.getvalue()
    store = reopen(film, max_upload_bytes=4096)
    before = files_under(store.path)
    with pytest.raises(UploadError, match=message):
        store.takes.add_take("1/2/1", data, Recipe(), ext=ext)
    assert files_under(store.path) == before
    assert store.locate("1/2/1").shot.takes == []


def test_a_take_whose_recipe_cannot_be_written_leaves_nothing_behind(
    film: ProjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = files_under(film.path)
    real_open = os.open

    def refuse_recipes(path: Any, flags: int, *args: Any) -> int:
        if str(path).endswith(".json") and "03_Renders" in str(path):
            raise OSError(28, "No space left on device")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refuse_recipes)
    with pytest.raises(OSError, match="No space left"):
        film.takes.add_take("1/2/1", png_bytes(), Recipe())
    monkeypatch.undo()
    assert files_under(film.path) == before
    assert film.locate("1/2/1").shot.takes == []
    # The next take goes in as usual (this process does not retry the failed number).
    take = film.takes.add_take("1/2/1", png_bytes(), Recipe())
    assert [t.id for t in film.locate("1/2/1").shot.takes] == [take.id]
    assert (film.path / take.path).read_bytes() == png_bytes()


def test_take_folders_skip_their_own_flush_where_the_filesystem_keeps_names(
    tmp_path: Path,
) -> None:
    kind = filesystem_type(tmp_path)
    if sys.platform.startswith("linux"):
        assert kind, "the filesystem of the test folder was not found in /proc/self/mountinfo"
    assert names_follow_file_fsync(tmp_path) == (kind in ("ext3", "ext4", "xfs", "btrfs"))
    shm = Path("/dev/shm")
    if shm.is_dir() and filesystem_type(shm) == "tmpfs":
        assert not names_follow_file_fsync(shm)  # unknown kinds flush the folder too


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 200, 30)).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "whole", "by_pillow"),
    [
        (png_bytes(), True, True),
        (png_bytes(size=(300, 200)), True, True),
        (png_bytes()[:-20], False, False),  # cut inside the pixel data
        (png_bytes()[:-4], False, True),  # the end marker's checksum is missing
        (CORRUPT_PNG, False, False),  # a chunk whose checksum does not match
        (jpeg_bytes(), True, True),  # other formats go through Pillow
        (jpeg_bytes()[:-200], False, False),
    ],
)
def test_damaged_images_are_told_from_whole_ones(
    data: bytes, whole: bool, by_pillow: bool, tmp_path: Path
) -> None:
    """PNG bytes are checked chunk by chunk (stricter than Pillow about a cut end marker);
    files and other formats by Pillow."""
    assert image_is_whole(data) is whole
    path = tmp_path / "image"
    path.write_bytes(data)
    assert image_is_whole(path) is by_pillow


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"])
def test_a_png_header_reads_as_pillow_reads_it(mode: str) -> None:
    """Takes are told by their header alone, parsed without Pillow: the same answer."""
    out = io.BytesIO()
    Image.new(mode, (37, 21)).save(out, "PNG")
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as image:
        expected = (image.format, image.width, image.height)
    fast = probe(data, digest=False, verify=False)
    assert (fast.kind, fast.format, fast.width, fast.height) == ("image", *expected)
    assert fast == probe(data, digest=False)  # as the full check sees it


def test_an_unusual_or_broken_png_header_is_left_to_pillow() -> None:
    data = bytearray(png_bytes())
    data[20] ^= 1  # the height, no longer matching the header's checksum
    assert probe(bytes(data), digest=False, verify=False).kind == "other"
    huge = bytearray(png_bytes())
    huge[16:24] = struct.pack(">II", 100_000, 100_000)
    huge[29:33] = struct.pack(">I", zlib.crc32(huge[12:29]))
    with pytest.raises(UploadError, match="too large"):
        probe(bytes(huge), digest=False, verify=False)


def test_an_unknown_shot_is_refused(film: ProjectStore) -> None:
    before = files_under(film.path)
    with pytest.raises(StoreError, match="no shot 9"):
        film.takes.add_take("1/2/9", png_bytes(), Recipe())
    with pytest.raises(StoreError, match="shot-nope"):
        film.takes.add_take("shot-nope", png_bytes(), Recipe())
    with pytest.raises(StoreError, match="is a scene"):
        film.takes.add_take("1/2", png_bytes(), Recipe())
    assert files_under(film.path) == before


def test_takes_follow_a_moved_shot_into_its_new_folder(film: ProjectStore) -> None:
    shot = film.locate("1/2/1").shot
    first = film.takes.add_take(shot.id, png_bytes(1), Recipe())
    film.move(shot.id, 3)  # now 1/2/3
    second = film.takes.add_take(shot.id, png_bytes(2), Recipe())
    assert first.path.endswith("Shot_01/S02_S01_take01.png")
    assert second.path.endswith("Shot_03/S02_S03_take02.png")
    assert (film.path / first.path).is_file()  # earlier takes stay where they were made


# ---------------------------------------------------------------------- concurrency


def _check_writers(store: ProjectStore, shot: str, payloads: list[bytes]) -> None:
    """50 distinct takes numbered 1..50, each file holding exactly one writer's content."""
    store.refresh()
    entries = store.takes.list(shot, thumbnails=False)
    assert [e.number for e in entries] == list(range(1, WRITERS + 1))
    assert len({e.take.id for e in entries}) == len({e.take.path for e in entries}) == WRITERS
    contents = {e.path.read_bytes() for e in entries}
    assert contents == set(payloads)  # every writer's content, none overwritten
    for entry in entries:
        assert hashlib.sha256(entry.path.read_bytes()).hexdigest() == entry.take.sha256
        record = json.loads(entry.path.with_suffix(".json").read_text())
        assert (record["number"], record["id"]) == (entry.number, entry.take.id)
    assert sum(e.active for e in entries) == 1
    folder = entries[0].path.parent
    assert len(list(folder.iterdir())) == 2 * WRITERS  # no stray files


@pytest.mark.slow
def test_fifty_threads_add_fifty_takes_to_one_shot(film: ProjectStore) -> None:
    # Two stores on the same project, as two notebooks would have.
    stores = [reopen(film, lock_timeout=120), reopen(film, lock_timeout=120)]
    payloads = [png_bytes(n + 1) for n in range(WRITERS)]
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            barrier.wait()
            stores[n % 2].takes.add_take("1/2/2", payloads[n], Recipe(seed=n))
        except BaseException as exc:  # reported below: a thread's error is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    _check_writers(film, "1/2/2", payloads)


def _write_take_in_a_process(
    path: str, settings: Settings, shot_id: str, seed: int, barrier: Any
) -> None:
    store = ProjectStore.open(path, settings)
    barrier.wait()
    store.takes.add_take(shot_id, png_bytes(seed), Recipe(seed=seed))


@pytest.mark.slow
def test_fifty_processes_add_fifty_takes_to_one_shot(film: ProjectStore) -> None:
    # forkserver: children start from a clean, single-threaded process with auteur imported.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["auteur.storage", "tests.storage.test_takes"])
    barrier = context.Barrier(WRITERS)
    # Fifty processes queue for the project lock; a loaded CI machine must not time them out.
    settings = film.settings.model_copy(update={"lock_timeout": 120})
    shot_id = film.locate("1/2/2").shot.id
    processes = [
        context.Process(
            target=_write_take_in_a_process,
            args=(str(film.path), settings, shot_id, n + 1, barrier),
        )
        for n in range(WRITERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * WRITERS
    _check_writers(film, "1/2/2", [png_bytes(n + 1) for n in range(WRITERS)])


# ---------------------------------------------------------------------- choosing and the gallery


def test_the_gallery_lists_takes_with_thumbnails(film: ProjectStore) -> None:
    for n in range(3):
        film.takes.add_take("1/2/1", png_bytes(n, size=(640, 480)), Recipe(seed=n))
    entries = film.takes.list("1/2/1")
    assert [(e.number, e.active, e.rejected) for e in entries] == [
        (1, True, False),
        (2, False, False),
        (3, False, False),
    ]
    for entry in entries:
        assert entry.thumbnail is not None
        assert entry.thumbnail.is_relative_to(film.path / "05_Cache" / "thumbnails")
        with Image.open(entry.thumbnail) as image:
            assert image.size == (256, 192)
    assert film.takes.list("1/2/3") == []


def test_choose_reject_and_restore_takes(film: ProjectStore) -> None:
    takes = [film.takes.add_take("1/2/1", png_bytes(n), Recipe()) for n in range(3)]
    assert film.takes.active_take("1/2/1") == takes[0]
    assert film.takes.set_active("1/2/1", 3) == takes[2]
    assert film.takes.active_take("1/2/1").id == takes[2].id

    film.takes.reject("1/2/1", takes[2].id)
    # The newest take still in the running becomes active.
    assert film.takes.active_take("1/2/1").id == takes[1].id
    with pytest.raises(LookupError, match="take 3 is rejected"):
        film.takes.set_active("1/2/1", "3")
    film.takes.reject("1/2/1", 3, rejected=False)
    film.takes.set_active("1/2/1", takes[2])
    assert reopen(film).takes.active_take("1/2/1").id == takes[2].id
    with pytest.raises(LookupError, match="no take '9'"):
        film.takes.get("1/2/1", 9)


def test_a_deleted_take_goes_to_the_trash_and_its_number_is_not_reused(
    film: ProjectStore,
) -> None:
    takes = [film.takes.add_take("1/2/1", png_bytes(n), Recipe()) for n in range(3)]
    film.takes.set_active("1/2/1", 3)
    trashed = film.takes.delete("1/2/1", 3)
    assert trashed == f"{TRASH_DIR}/{takes[2].path}"
    assert (film.path / trashed).read_bytes() == png_bytes(2)
    assert (film.path / trashed).with_suffix(".json").is_file()
    assert not (film.path / takes[2].path).exists()
    assert [t.number for t in film.locate("1/2/1").shot.takes] == [1, 2]
    assert film.takes.active_take("1/2/1").id == takes[1].id

    fourth = film.takes.add_take("1/2/1", png_bytes(7), Recipe())
    assert fourth.number == 4


# ---------------------------------------------------------------------- commits


@pytest.mark.git
def test_takes_are_committed_in_batches_through_lfs(workspace: Workspace) -> None:
    store = reopen(workspace.create_project("Batches"), auto_commit=True, take_commit_batch=3)
    store.add_scene("1", "Scene")
    store.add_shot("1/1", "Shot")
    heads = []
    for n in range(7):
        store.takes.add_take("1/1/1", png_bytes(n), Recipe(seed=n))
        heads.append(store.git.head())
    # A commit after the 3rd and the 6th take; the 7th waits.
    assert len(set(heads)) == 3 and heads[2] != heads[1] and heads[5] != heads[4]
    assert store.takes.pending == 1
    assert (
        store.git.log(limit=1)[0].message == "Add 3 takes: S01_S01_take04.png … S01_S01_take06.png"
    )
    assert store.takes.commit_pending() is not None
    assert store.takes.pending == 0 and store.git.is_clean()

    take = store.locate("1/1/1").shot.takes[6]
    assert store.git.show("HEAD", take.path).startswith(LFS_HEADER)
    record = store.git.show("HEAD", take.path.replace(".png", ".json"))
    assert json.loads(record)["number"] == 7  # the recipe stays readable text


@pytest.mark.git
def test_commits_follow_the_auto_commit_setting(workspace: Workspace) -> None:
    store = reopen(workspace.create_project("Manual"), auto_commit=False)
    store.add_scene("1", "Scene")
    store.add_shot("1/1", "Shot")
    head = store.git.head()
    store.takes.add_take("1/1/1", png_bytes(1), Recipe())
    assert (store.takes.pending, store.git.head()) == (0, head)  # left in the working tree
    store.takes.add_take("1/1/1", png_bytes(2), Recipe(), commit=False)
    assert store.takes.pending == 1
    store.takes.add_take("1/1/1", png_bytes(3), Recipe(), commit=True)  # commits now
    assert store.takes.pending == 0 and store.git.is_clean() and store.git.head() != head
    assert store.takes.flush() is None  # nothing left
