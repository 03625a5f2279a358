"""The asset library of a project: characters, locations, styles and music.

Each asset is a folder ``01_Assets/<Category>/<asset-slug>/`` holding its files, with an entry
in the manifest under ``assets.<category>``. Files are checked before anything is written (safe
name, size, real content), copied next to their folder outside the project lock, then published
under a name that never replaces another file and registered in one short transaction. Media is
committed through git-lfs when auto-commit is on.

A new category needs a value in `AssetCategory` and a list of that name in `Assets`; its folder
(``01_Assets/<Title>``) and its model class follow from those.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import typing
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..model import (
    Asset,
    AssetAddedEvent,
    AssetCategory,
    AssetFile,
    Assets,
    Character,
    CharacterCreatedEvent,
    CharacterLoraStatusEvent,
    CharacterStage,
    CharacterUsageUpdatedEvent,
    CharacterVariationGeneratedEvent,
    LoraTrainingStatus,
    Music,
    Project,
    ProjectUpdateEvent,
    ReferenceImage,
    Shot,
    describe_validation_error,
)
from ..model.address import shot_code
from ._atomic import fsync_dir
from .media import (
    Upload,
    claim_file,
    inside,
    inspect_upload,
    make_thumbnail,
    move_to_trash,
    stage_copy,
    thumbnail_path,
)
from .names import check_name, safe_file_name, safe_folder_name
from .store import StoreError

if TYPE_CHECKING:
    from .store import ProjectStore

__all__ = [
    "ASSETS_DIR",
    "AssetError",
    "AssetInUseError",
    "AssetLibrary",
    "FileSpec",
    "SceneUsage",
    "ShotUsage",
    "Usages",
    "asset_slug",
    "category_folder",
    "parse_category",
]

log = logging.getLogger(__name__)

ASSETS_DIR = "01_Assets"
#: A file to import: a path, or an upload's ``(name, content)``.
FileSpec = Path | str | tuple[str, bytes]
AssetRef = Asset | str

_ALL_KINDS = ("image", "audio", "video", "model")
_PICTURE_KINDS = ("image", "video", "audio")
_APOSTROPHES = re.compile(r"['\u2019]")
_NOT_SLUG = re.compile(r"[\W_]+")
_HEX_COLOUR = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
_COMMON = {"name", "description", "tags"}
_UPDATABLE: dict[str, set[str]] = {
    "Character": _COMMON
    | {"trigger_word", "prompt_fragment", "lora_strength", "ip_adapter_scale", "seed", "voice_id"},
    "Location": set(_COMMON),
    "Style": _COMMON | {"keywords", "palette"},
    "Music": _COMMON | {"bpm"},
}


class AssetError(StoreError):
    """An asset operation was refused; the message says why."""


class AssetInUseError(AssetError):
    """An asset that shots use cannot be deleted without forcing it. `usages` lists them."""

    def __init__(self, asset: Asset, usages: Usages) -> None:
        self.asset = asset
        self.usages = usages
        users = "; ".join(usages.describe())
        super().__init__(
            f"{asset.name!r} is used by {len(usages.shots)} shot(s) in {len(usages.scenes)} "
            f"scene(s): {users}. Remove it from them first, or force the delete"
        )


@dataclass(frozen=True)
class ShotUsage:
    """A shot that uses an asset."""

    shot_id: str
    address: str
    code: str
    title: str
    scene_id: str
    chapter_id: str
    description: str = ""

    @property
    def label(self) -> str:
        """The shot's title, else the start of its description."""
        text = self.title or self.description
        return text if len(text) <= 40 else text[:39] + "…"


@dataclass(frozen=True)
class SceneUsage:
    """A scene with at least one shot that uses an asset."""

    scene_id: str
    address: str
    title: str
    shot_ids: tuple[str, ...]


@dataclass(frozen=True)
class Usages:
    """Every scene and shot that uses one asset, in story order."""

    asset_id: str
    scenes: list[SceneUsage] = field(default_factory=list)
    shots: list[ShotUsage] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.shots)

    def describe(self) -> list[str]:
        """One line per shot: address, code and title."""
        return [f"{s.address} {s.code}" + (f" {s.label!r}" if s.label else "") for s in self.shots]


@dataclass(frozen=True)
class _Placement:
    """Where a staged file goes inside its asset's folder."""

    subfolder: str = ""
    name: str | None = None  # the name to use instead of the upload's
    exact: bool = False  # the name is never suffixed (a variation's, the base face's)
    replaces: str | None = None  # the file it takes over from, moved to the trash
    label: str = ""


# ------------------------------------------------------------------ categories


def parse_category(value: AssetCategory | str) -> AssetCategory:
    """The category named `value` (``characters``, ``Music``...), or a clear error."""
    try:
        return AssetCategory(str(value).strip().lower())
    except ValueError:
        known = ", ".join(c.value for c in AssetCategory)
        raise AssetError(f"unknown asset category {value!r}; choose one of {known}") from None


def category_folder(category: AssetCategory) -> str:
    """The folder of a category: ``01_Assets/Characters``."""
    return f"{ASSETS_DIR}/{category.value.replace('-', ' ').title().replace(' ', '_')}"


def _model_for(category: AssetCategory) -> type[Asset]:
    annotation = Assets.model_fields[category.value].annotation
    return typing.get_args(annotation)[0]


def _singular(category: AssetCategory) -> str:
    return _model_for(category).__name__.lower()


def asset_slug(name: str, max_length: int = 64) -> str:
    """The folder name of an asset: ``Joe's Diner`` → ``joes-diner``; letters of any script stay."""
    text = _APOSTROPHES.sub("", unicodedata.normalize("NFC", name).lower())
    text = _NOT_SLUG.sub("-", text).strip("-")
    try:
        return safe_folder_name(text, max_length) if text else "asset"
    except ValueError:
        return "asset"


def _palette(colours: Iterable[str]) -> list[str]:
    result = []
    for colour in colours:
        match = _HEX_COLOUR.fullmatch(str(colour).strip())
        if not match:
            raise AssetError(f"palette colour {colour!r} is not #rrggbb")
        digits = match.group(1).lower()
        result.append("#" + (digits if len(digits) == 6 else "".join(c * 2 for c in digits)))
    return result


def _words(values: Iterable[str], what: str) -> list[str]:
    result: list[str] = []
    for value in values:
        word = check_name(str(value), what, 200)
        if word not in result:
            result.append(word)
    return result


class AssetLibrary:
    """The asset library of one project. Reach it as ``store.assets``."""

    def __init__(self, store: ProjectStore) -> None:
        self._store = store

    @property
    def _root(self) -> Path:
        return self._store.path

    # ------------------------------------------------------------ reading

    def list(self, category: AssetCategory | str | None = None) -> list[Asset]:
        """Every asset, or those of `category`, as last loaded."""
        cats = [parse_category(category)] if category is not None else list(AssetCategory)
        return [a for cat in cats for a in self._group(self._store.project, cat)]

    def get(self, ref: AssetRef, category: AssetCategory | str | None = None) -> Asset:
        """An asset by id or name (names are matched without regard to case)."""
        cat = parse_category(category) if category is not None else None
        return self._locate(self._store.project, ref, cat)[1]

    def category_of(self, ref: AssetRef) -> AssetCategory:
        """The category an asset belongs to."""
        return self._locate(self._store.project, ref)[0]

    @staticmethod
    def _group(project: Project, category: AssetCategory) -> list[Any]:
        return getattr(project.assets, category.value)

    def _locate(
        self, project: Project, ref: AssetRef, category: AssetCategory | None = None
    ) -> tuple[AssetCategory, Any]:
        text = ref.asset_id if isinstance(ref, Asset) else str(ref)
        text = unicodedata.normalize("NFC", text).strip()
        cats = [category] if category else list(AssetCategory)
        named = []
        for cat in cats:
            for asset in self._group(project, cat):
                if asset.asset_id == text:
                    return cat, asset
                if asset.name.casefold() == text.casefold():
                    named.append((cat, asset))
        if len(named) == 1:
            return named[0]
        where = f" among the {category.value}" if category else ""
        if named:
            raise AssetError(f"{text!r} names {len(named)} assets{where}; use its id")
        raise AssetError(f"no asset named {text!r}{where}")

    def _typed(self, project: Project, ref: AssetRef, model: type) -> Any:
        category, asset = self._locate(project, ref)
        if not isinstance(asset, model):
            raise AssetError(
                f"{asset.name!r} is a {_singular(category)}, not a {model.__name__.lower()}"
            )
        return asset

    # ------------------------------------------------------------ creating

    def create(
        self,
        category: AssetCategory | str,
        name: str,
        *,
        description: str = "",
        **fields: Any,
    ) -> Asset:
        """Create an empty asset (its folder and its manifest entry) and return it.

        `fields` are the category's own fields: ``trigger_word`` for a character,
        ``keywords`` and ``palette`` for a style, ``bpm`` for music...
        """
        category = parse_category(category)
        undo: list[Callable[[], None]] = []
        try:
            with self._store.transaction() as project:
                asset = self._new_asset(project, category, name, description, fields, undo)
                self._announce_new(asset)
                self._store.emit(AssetAddedEvent(category=category, asset=asset.to_data()))
        except BaseException:
            _run_undo(undo)
            raise
        return asset

    def create_character(
        self,
        name: str,
        *,
        description: str = "",
        base_face: FileSpec | None = None,
        **fields: Any,
    ) -> Character:
        """Create a character, from a concept (words only) or from a base face image."""
        if base_face is None:
            return self.create(AssetCategory.CHARACTERS, name, description=description, **fields)
        upload = self._inspect([base_face], ("image",))[0]
        category = AssetCategory.CHARACTERS

        def create(project: Project, undo: list[Callable[[], None]]) -> Asset:
            asset = self._new_asset(project, category, name, description, fields, undo)
            self._announce_new(asset, from_concept=False)
            return asset

        asset, _ = self._import(
            create, [upload], category, place=self._base_face_place, apply=self._apply_base_face
        )
        return asset

    def add(
        self,
        category: AssetCategory | str,
        name: str,
        files: Iterable[FileSpec],
        *,
        description: str = "",
        label: str = "",
    ) -> tuple[Asset, list[AssetFile]]:
        """Import `files` into the asset `name` of `category`, creating the asset if needed."""
        category = parse_category(category)
        uploads = self._inspect(files, _ALL_KINDS)
        check_name(name, "asset name", self._store.settings.max_name_length)
        self._store.refresh()
        try:
            existing: Any = self._locate(self._store.project, name, category)[1]
        except AssetError:
            existing = None

        def create(project: Project, undo: list[Callable[[], None]]) -> Asset:
            asset = self._new_asset(project, category, name, description, {}, undo)
            self._announce_new(asset)
            return asset

        target: Any = existing.asset_id if existing is not None else create
        return self._import(target, uploads, category, label=label, apply=self._apply_generic)

    def _new_asset(
        self,
        project: Project,
        category: AssetCategory,
        name: str,
        description: str,
        fields: dict[str, Any],
        undo: list[Callable[[], None]],
    ) -> Asset:
        settings = self._store.settings
        name = check_name(name, "asset name", settings.max_name_length)
        group = self._group(project, category)
        for other in group:
            if other.name.casefold() == name.casefold():
                raise AssetError(
                    f"a {_singular(category)} named {other.name!r} already exists "
                    f"({other.asset_id})"
                )
        model = _model_for(category)
        allowed = _UPDATABLE.get(model.__name__, _COMMON) - {"name", "description"}
        unknown = set(fields) - allowed
        if unknown:
            raise AssetError(
                f"a new {_singular(category)} cannot be given {', '.join(sorted(unknown))}; "
                f"it can be given {', '.join(sorted(allowed))}"
            )
        checked = self._checked(model, {"name": name, "description": description}, fields)
        folder = self._claim_folder(category, name, undo)
        asset = model.model_validate(
            {**checked, "name": name, "description": description, "folder": folder}
        )
        group.append(asset)
        self._store.touch_manifest()
        return asset

    def _claim_folder(
        self, category: AssetCategory, name: str, undo: list[Callable[[], None]]
    ) -> str:
        base = self._root / category_folder(category)
        base.mkdir(parents=True, exist_ok=True)
        inside(self._root, base)
        slug = asset_slug(name, self._store.settings.max_folder_name_length)
        counter = 1
        while True:
            candidate = slug if counter == 1 else f"{slug}-{counter}"
            try:
                (base / candidate).mkdir()  # atomic: two creators never share a folder
            except FileExistsError:
                counter += 1
                continue
            undo.append(functools.partial(shutil.rmtree, base / candidate, ignore_errors=True))
            return f"{category_folder(category)}/{candidate}"

    def _announce_new(self, asset: Asset, from_concept: bool = True) -> None:
        if isinstance(asset, Character):
            self._store.emit(
                CharacterCreatedEvent(
                    asset_id=asset.asset_id, name=asset.name, from_concept=from_concept
                )
            )

    # ------------------------------------------------------------ importing files

    def import_files(
        self, asset: AssetRef, files: Iterable[FileSpec], *, label: str = ""
    ) -> list[AssetFile]:
        """Import `files` into the folder of `asset`; return what was imported.

        Images of a location or a style become its reference images; the first audio track
        of a music asset sets its duration.
        """
        category, found = self._locate(self._store.project, asset)
        uploads = self._inspect(files, _ALL_KINDS)
        return self._import(
            found.asset_id, uploads, category, label=label, apply=self._apply_generic
        )[1]

    def set_base_face(self, character: AssetRef, file: FileSpec) -> AssetFile:
        """Give a character its base face image, ``base_face.<ext>``; an old one goes to trash."""
        found = self._typed(self._store.project, character, Character)
        upload = self._inspect([file], ("image",))[0]
        return self._import(
            found.asset_id,
            [upload],
            AssetCategory.CHARACTERS,
            place=self._base_face_place,
            apply=self._apply_base_face,
        )[1][0]

    def add_reference(self, asset: AssetRef, file: FileSpec, *, angle: str = "front") -> AssetFile:
        """Add a reference image: a character's under ``references/<angle>``, with its angle."""
        category, found = self._locate(self._store.project, asset)
        if not hasattr(found, "reference_images"):
            raise AssetError(f"a {_singular(category)} has no reference images")
        upload = self._inspect([file], ("image",))[0]
        angle_slug = asset_slug(angle)

        def place(asset: Any, upload: Upload) -> _Placement:
            if not isinstance(asset, Character):
                return _Placement("references")
            ext = upload.name.rpartition(".")[2]
            return _Placement("references", f"{angle_slug}.{ext}", label=angle_slug)

        def apply(asset: Any, files: list[AssetFile]) -> None:
            for f in files:
                if isinstance(asset, Character):
                    asset.reference_images.append(ReferenceImage(path=f.path, angle=angle_slug))
                else:
                    asset.reference_images.append(f.path)

        return self._import(found.asset_id, [upload], category, place=place, apply=apply)[1][0]

    def add_variation(
        self,
        character: AssetRef,
        kind: str,
        name: str,
        file: FileSpec,
        *,
        replace: bool = False,
    ) -> AssetFile:
        """Store a variation as ``variations/<kind>_<name>.<ext>`` (``expression_happy.png``).

        A variation of that kind and name already there is refused, or with ``replace=True``
        moved to the trash.
        """
        found = self._typed(self._store.project, character, Character)
        key = f"{_key_part(kind, 'variation kind')}_{_key_part(name, 'variation name')}"
        if key in found.variations and not replace:
            raise AssetError(
                f"{found.name!r} already has the variation {key} ({found.variations[key]}); "
                "replace it to store a new one"
            )
        upload = self._inspect([file], ("image", "video"))[0]

        def place(asset: Any, upload: Upload) -> _Placement:
            if key in asset.variations and not replace:
                raise AssetError(f"{asset.name!r} already has the variation {key}")
            ext = upload.name.rpartition(".")[2]
            return _Placement(
                "variations",
                f"{key}.{ext}",
                exact=True,
                replaces=asset.variations.get(key),
                label=key,
            )

        def apply(asset: Any, files: list[AssetFile]) -> None:
            asset.variations = {**asset.variations, key: files[0].path}
            self._store.emit(
                CharacterVariationGeneratedEvent(
                    asset_id=asset.asset_id, variation_type=key, variation_path=files[0].path
                )
            )

        return self._import(
            found.asset_id, [upload], AssetCategory.CHARACTERS, place=place, apply=apply
        )[1][0]

    def import_lora(
        self, character: AssetRef, file: FileSpec, *, strength: float | None = None
    ) -> AssetFile:
        """Import a trained LoRA into ``lora/``; it becomes the character's LoRA (completed)."""
        found = self._typed(self._store.project, character, Character)
        upload = self._inspect([file], ("model",))[0]
        if strength is not None:
            self._checked(Character, {}, {"lora_strength": strength})

        def apply(asset: Any, files: list[AssetFile]) -> None:
            asset.lora_model_path = files[0].path
            asset.lora_training_status = LoraTrainingStatus.COMPLETED
            if strength is not None:
                asset.lora_strength = strength
            self._store.emit(
                CharacterLoraStatusEvent(
                    asset_id=asset.asset_id, status=LoraTrainingStatus.COMPLETED, progress=1.0
                )
            )

        return self._import(
            found.asset_id,
            [upload],
            AssetCategory.CHARACTERS,
            place=lambda asset, upload: _Placement("lora", label="lora"),
            apply=apply,
        )[1][0]

    def add_ip_adapter_image(self, character: AssetRef, file: FileSpec) -> AssetFile:
        """Add an IP-Adapter reference image (``ip_adapter/``) to a character."""
        found = self._typed(self._store.project, character, Character)
        upload = self._inspect([file], ("image",))[0]

        def apply(asset: Any, files: list[AssetFile]) -> None:
            asset.ip_adapter_images = [*asset.ip_adapter_images, files[0].path]

        return self._import(
            found.asset_id,
            [upload],
            AssetCategory.CHARACTERS,
            place=lambda asset, upload: _Placement("ip_adapter", label="ip-adapter"),
            apply=apply,
        )[1][0]

    def add_track(self, music: AssetRef, file: FileSpec, *, bpm: float | None = None) -> AssetFile:
        """Add an audio track to a music asset; the first track sets its duration."""
        found = self._typed(self._store.project, music, Music)
        upload = self._inspect([file], ("audio",))[0]
        if bpm is not None:
            self._checked(Music, {}, {"bpm": bpm})

        def apply(asset: Any, files: list[AssetFile]) -> None:
            self._apply_generic(asset, files)
            if bpm is not None:
                asset.bpm = bpm

        return self._import(
            found.asset_id,
            [upload],
            AssetCategory.MUSIC,
            place=lambda asset, upload: _Placement(label="track"),
            apply=apply,
        )[1][0]

    def _inspect(self, files: Iterable[FileSpec], kinds: tuple[str, ...]) -> list[Upload]:
        limit = self._store.settings.max_upload_bytes
        uploads = []
        for spec in _specs(files):
            if isinstance(spec, tuple):
                name, data = spec
                uploads.append(inspect_upload(data, name, max_bytes=limit, kinds=kinds))
            else:
                uploads.append(inspect_upload(Path(spec), max_bytes=limit, kinds=kinds))
        if not uploads:
            raise AssetError("no files to import")
        return uploads

    @staticmethod
    def _base_face_place(asset: Any, upload: Upload) -> _Placement:
        ext = upload.name.rpartition(".")[2]
        return _Placement(
            "",
            f"base_face.{ext}",
            exact=True,
            replaces=asset.base_face_image_path,
            label="base_face",
        )

    def _apply_base_face(self, asset: Any, files: list[AssetFile]) -> None:
        path = files[0].path
        asset.base_face_image_path = path
        asset.variations = {**asset.variations, "base_face": path}
        self._store.emit(
            CharacterVariationGeneratedEvent(
                asset_id=asset.asset_id, variation_type="base_face", variation_path=path
            )
        )

    @staticmethod
    def _apply_generic(asset: Any, files: list[AssetFile]) -> None:
        for f in files:
            is_reference = f.kind == "image" and not isinstance(asset, Character)
            if is_reference and hasattr(asset, "reference_images"):
                asset.reference_images = [*asset.reference_images, f.path]
            if f.kind == "audio" and isinstance(asset, Music) and asset.duration is None:
                asset.duration = f.duration

    def _import(
        self,
        target: str | Callable[[Project, list[Callable[[], None]]], Asset],
        uploads: list[Upload],
        category: AssetCategory,
        *,
        label: str = "",
        place: Callable[[Any, Upload], _Placement] | None = None,
        apply: Callable[[Any, list[AssetFile]], None] | None = None,
    ) -> tuple[Any, list[AssetFile]]:
        """Copy `uploads` in, then publish and register them in one transaction.

        `target` is an asset id, or a function creating the asset in the transaction. Any
        failure removes what this import wrote and puts back what it moved to the trash.
        """
        store = self._store
        staging = self._root / category_folder(category)
        staging.mkdir(parents=True, exist_ok=True)
        inside(self._root, staging)
        undo: list[Callable[[], None]] = []
        temps: list[Path] = []
        try:
            temps = [stage_copy(staging, u.source) for u in uploads]
            with store.transaction() as project:
                if callable(target):
                    asset = target(project, undo)
                else:
                    asset = self._locate(project, target, category)[1]
                files = []
                for upload, temp in zip(uploads, temps, strict=True):
                    placement = place(asset, upload) if place else _Placement(label=label)
                    rel = self._publish(asset, upload, temp, placement, undo)
                    if placement.replaces:
                        asset.files = [f for f in asset.files if f.path != placement.replaces]
                    files.append(_asset_file(rel, upload, placement.label or label))
                asset.files = [*asset.files, *files]
                if apply:
                    apply(asset, files)
                store.touch_manifest()
                store.emit(AssetAddedEvent(category=category, asset=asset.to_data()))
        except BaseException:
            _run_undo(undo)
            raise
        finally:
            for temp in temps:
                temp.unlink(missing_ok=True)
        for f in files:
            self._make_thumbnail(f)
        count = f"{len(files)} file{'s' if len(files) != 1 else ''}"
        store.autocommit(f"Add {count} to {_singular(category)} {asset.name}")
        return asset, files

    def _publish(
        self,
        asset: Asset,
        upload: Upload,
        temp: Path,
        placement: _Placement,
        undo: list[Callable[[], None]],
    ) -> str:
        root = self._root
        if not asset.folder:
            raise AssetError(f"{asset.name!r} has no folder in the project")
        asset_dir = root / asset.folder
        asset_dir.mkdir(parents=True, exist_ok=True)
        asset_dir = inside(root, asset_dir)
        folder = asset_dir / placement.subfolder if placement.subfolder else asset_dir
        folder.mkdir(parents=True, exist_ok=True)
        folder = inside(asset_dir, folder)
        if placement.replaces and (root / placement.replaces).exists():
            old = placement.replaces
            trashed = move_to_trash(root, old)
            undo.append(lambda: os.replace(root / trashed, root / old))
            (root / thumbnail_path(old)).unlink(missing_ok=True)
        name = placement.name or upload.name
        stem, _, ext = name.rpartition(".")
        try:
            path, fd = claim_file(folder, stem, ext, suffix=not placement.exact)
        except FileExistsError:
            raise AssetError(
                f"{(folder / name).relative_to(root).as_posix()} already exists but is not "
                "registered in the asset; move it away first"
            ) from None
        os.close(fd)
        undo.append(lambda: path.unlink(missing_ok=True))
        # Replacing our own empty claim: no other file is ever overwritten.
        os.replace(temp, path)
        fsync_dir(folder)
        return path.relative_to(root).as_posix()

    # ------------------------------------------------------------ removing files

    def remove_file(self, asset: AssetRef, path: str) -> str:
        """Move one file of `asset` to the trash and drop every reference to it."""
        store = self._store
        with store.transaction() as project:
            category, found = self._locate(project, asset)
            match = [f for f in found.files if path in (f.path, f.path.rsplit("/", 1)[-1])]
            if len(match) != 1:
                raise AssetError(f"{found.name!r} has no single file {path!r}")
            gone = match[0].path
            trashed = ""
            if (self._root / gone).exists():
                trashed = move_to_trash(self._root, gone)
            (self._root / thumbnail_path(gone)).unlink(missing_ok=True)
            found.files = [f for f in found.files if f.path != gone]
            self._drop_references(found, gone)
            store.touch_manifest()
            store.emit(
                ProjectUpdateEvent(
                    changes={
                        "action": "file_removed",
                        "kind": "asset",
                        "id": found.asset_id,
                        "category": category.value,
                        "path": gone,
                        "trash": trashed,
                    }
                )
            )
        return trashed

    def _drop_references(self, asset: Any, path: str) -> None:
        if hasattr(asset, "reference_images"):
            asset.reference_images = [
                r for r in asset.reference_images if getattr(r, "path", r) != path
            ]
        if isinstance(asset, Music):
            tracks = [f for f in asset.files if f.kind == "audio"]
            asset.duration = tracks[0].duration if tracks else None
        if not isinstance(asset, Character):
            return
        if asset.base_face_image_path == path:
            asset.base_face_image_path = None
        asset.variations = {k: v for k, v in asset.variations.items() if v != path}
        asset.ip_adapter_images = [p for p in asset.ip_adapter_images if p != path]
        if asset.lora_model_path == path:
            asset.lora_model_path = None
            asset.lora_training_status = LoraTrainingStatus.UNTRAINED
            self._store.emit(
                CharacterLoraStatusEvent(
                    asset_id=asset.asset_id, status=LoraTrainingStatus.UNTRAINED
                )
            )
        self._settle_stage(asset)

    # ------------------------------------------------------------ changing fields

    def update(self, asset: AssetRef, **fields: Any) -> Asset:
        """Change an asset's own fields: name, description, tags, and per category e.g.
        ``trigger_word``, ``seed``, ``voice_id`` (characters), ``keywords``, ``palette``
        (styles), ``bpm`` (music)."""
        store = self._store
        with store.transaction() as project:
            category, found = self._locate(project, asset)
            allowed = _UPDATABLE.get(found.asset_type, _COMMON)
            unknown = set(fields) - allowed
            if unknown:
                raise AssetError(
                    f"cannot update {', '.join(sorted(unknown))} of a {_singular(category)}; "
                    f"updatable: {', '.join(sorted(allowed))}"
                )
            if "name" in fields:
                name = check_name(fields["name"], "asset name", store.settings.max_name_length)
                fields["name"] = name
                for other in self._group(project, category):
                    if other is not found and other.name.casefold() == name.casefold():
                        raise AssetError(f"a {_singular(category)} named {name!r} already exists")
            checked = self._checked(type(found), found.model_dump(by_alias=False), fields)
            for key in fields:
                setattr(found, key, checked[key])
            store.touch_manifest()
            store.emit(
                ProjectUpdateEvent(
                    changes={
                        "action": "updated",
                        "kind": "asset",
                        "id": found.asset_id,
                        "fields": sorted(fields),
                    }
                )
            )
        return found

    @staticmethod
    def _checked(model: type, base: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        """`fields` cleaned and validated against `model`, on top of `base`."""
        fields = dict(fields)
        if "palette" in fields:
            fields["palette"] = _palette(fields["palette"] or [])
        for key in ("keywords", "tags"):
            if key in fields:
                fields[key] = _words(fields[key] or [], key[:-1])
        for key in ("trigger_word", "voice_id"):
            value = fields.get(key)
            if isinstance(value, str) and value.strip():
                fields[key] = check_name(value, key.replace("_", " "), 200)
            elif isinstance(value, str):
                fields[key] = "" if key == "trigger_word" else None
        unknown = set(fields) - set(model.model_fields)
        if unknown:
            raise AssetError(f"a {model.__name__.lower()} has no {', '.join(sorted(unknown))}")
        try:
            checked = model.model_validate({**base, **fields})
        except ValidationError as exc:
            raise AssetError("; ".join(describe_validation_error(exc))) from None
        return {key: getattr(checked, key) for key in fields}

    # ------------------------------------------------------------ characters

    def set_lora_status(
        self,
        character: AssetRef,
        status: LoraTrainingStatus | str,
        progress: float | None = None,
    ) -> Character:
        """Record where the character's LoRA training stands; emits `character_lora_status`."""
        status = LoraTrainingStatus(status)
        if progress is not None and not 0 <= progress <= 1:
            raise AssetError(f"progress must be between 0 and 1, got {progress}")
        store = self._store
        with store.transaction() as project:
            found = self._typed(project, character, Character)
            if status is LoraTrainingStatus.COMPLETED and not found.lora_model_path:
                raise AssetError(
                    f"{found.name!r} has no LoRA file; import the trained LoRA to complete it"
                )
            found.lora_training_status = status
            self._settle_stage(found)
            store.touch_manifest()
            store.emit(
                CharacterLoraStatusEvent(asset_id=found.asset_id, status=status, progress=progress)
            )
        return found

    def stage_problems(
        self, character: AssetRef, stage: CharacterStage | str | None = None
    ) -> list[str]:
        """What `character` lacks to reach `stage` (default: the next stage); empty if nothing."""
        found = self._typed(self._store.project, character, Character)
        order = list(CharacterStage)
        if stage is None:
            stage = order[min(order.index(found.stage) + 1, len(order) - 1)]
        return self._problems(found, CharacterStage(stage))

    def _problems(self, character: Character, stage: CharacterStage) -> list[str]:
        order = list(CharacterStage)
        problems: list[str] = []
        files = {f.path for f in character.files}
        if order.index(stage) >= order.index(CharacterStage.VISUAL_IDENTITY):
            face = character.base_face_image_path
            if not face:
                problems.append("a base face image")
            elif face not in files or not (self._root / face).is_file():
                problems.append(f"its base face file {face}, which is missing")
        if stage is CharacterStage.PRODUCTION_READY:
            if not character.trigger_word.strip():
                problems.append("a trigger word")
            lora = character.lora_model_path
            lora_ready = (
                bool(lora)
                and character.lora_training_status is LoraTrainingStatus.COMPLETED
                and (self._root / str(lora)).is_file()
            )
            needed = self._store.settings.reference_set_size
            angles = {r.angle for r in character.reference_images if r.path in files}
            if not lora_ready and len(angles) < needed:
                problems.append(
                    f"a trained LoRA (its training is {character.lora_training_status.value}) "
                    f"or a reference set of {needed} angles (it has {len(angles)})"
                )
        return problems

    def set_stage(self, character: AssetRef, stage: CharacterStage | str) -> Character:
        """Move a character through concept → visual identity → production-ready.

        Moving forward checks the rules: visual identity needs a base face image;
        production-ready also needs a trigger word, and a trained LoRA or a reference set.
        """
        stage = CharacterStage(stage)
        store = self._store
        with store.transaction() as project:
            found = self._typed(project, character, Character)
            problems = self._problems(found, stage)
            if problems:
                raise AssetError(
                    f"{found.name!r} cannot be {stage.value}: it needs {'; '.join(problems)}"
                )
            if found.stage is not stage:
                found.stage = stage
                store.touch_manifest()
                store.emit(
                    ProjectUpdateEvent(
                        changes={
                            "action": "stage",
                            "kind": "asset",
                            "id": found.asset_id,
                            "stage": stage.value,
                        }
                    )
                )
        return found

    def _settle_stage(self, character: Character) -> None:
        """Step a character back to the highest stage whose rules it still meets."""
        order = list(CharacterStage)
        index = order.index(character.stage)
        while index > 0 and self._problems(character, order[index]):
            index -= 1
        character.stage = order[index]

    # ------------------------------------------------------------ usage (casting)

    def cast(self, asset: AssetRef, shot: str) -> Shot:
        """Use `asset` in `shot`: a character joins its cast, a location or style replaces the
        shot's own. Usage lists follow."""
        store = self._store
        with store.transaction() as project:
            category, found = self._locate(project, asset)
            located = store.locate(shot, "shot")
            target = located.shot
            assert target is not None
            if category is AssetCategory.CHARACTERS:
                if found.asset_id not in target.characters:
                    store.update(target.id, characters=[*target.characters, found.asset_id])
            elif category is AssetCategory.LOCATIONS:
                store.update(target.id, location=found.asset_id)
            elif category is AssetCategory.STYLES:
                store.update(target.id, style=found.asset_id)
            else:
                raise AssetError(f"a {_singular(category)} is not cast into shots")
        return target

    def uncast(self, asset: AssetRef, shot: str) -> Shot:
        """Stop using `asset` in `shot`."""
        store = self._store
        with store.transaction() as project:
            found = self._locate(project, asset)[1]
            located = store.locate(shot, "shot")
            target = located.shot
            assert target is not None
            ident = found.asset_id
            if ident not in (*target.characters, target.location, target.style):
                raise AssetError(f"shot {located.address} does not use {found.name!r}")
            changes: dict[str, Any] = {}
            if ident in target.characters:
                changes["characters"] = [c for c in target.characters if c != ident]
            if target.location == ident:
                changes["location"] = None
            if target.style == ident:
                changes["style"] = None
            store.update(target.id, **changes)
        return target

    def find_usages(self, asset: AssetRef) -> Usages:
        """Every scene and shot that uses `asset`, in story order."""
        project = self._store.project
        return self._usages(project, self._locate(project, asset)[1].asset_id)

    @staticmethod
    def _usages(project: Project, asset_id: str) -> Usages:
        usages = Usages(asset_id)
        for chapter in project.narrative.chapters:
            for scene in chapter.scenes:
                users = [s for s in scene.shots if asset_id in _used_by(s)]
                if not users:
                    continue
                scene_address = f"{chapter.number}/{scene.number}"
                usages.scenes.append(
                    SceneUsage(scene.id, scene_address, scene.title, tuple(s.id for s in users))
                )
                for shot in users:
                    usages.shots.append(
                        ShotUsage(
                            shot.id,
                            f"{scene_address}/{shot.number}",
                            shot_code(scene, shot),
                            shot.title,
                            scene.id,
                            chapter.id,
                            shot.description,
                        )
                    )
        return usages

    def usage_problems(self) -> list[str]:
        """Where usage lists and shots disagree; empty when they are in step."""
        project = self._store.project
        expected = _expected_usage(project)
        problems = []
        known = set()
        for category in AssetCategory:
            for asset in self._group(project, category):
                known.add(asset.asset_id)
                want, have = expected.get(asset.asset_id, []), asset.usage
                if len(set(have)) != len(have):
                    problems.append(f"{asset.name} ({asset.asset_id}): usage repeats a shot")
                for shot_id in sorted(set(want) - set(have)):
                    problems.append(f"{asset.name} ({asset.asset_id}): usage lacks {shot_id}")
                for shot_id in sorted(set(have) - set(want)):
                    problems.append(
                        f"{asset.name} ({asset.asset_id}): usage names {shot_id}, "
                        "which does not use it"
                    )
        for asset_id in sorted(set(expected) - known):
            problems.append(f"shots {', '.join(expected[asset_id])} use the missing {asset_id}")
        return problems

    def repair_usage(self) -> int:
        """Rebuild every usage list from the shots (after a crash or a hand edit).

        Returns how many assets changed.
        """
        store = self._store
        changed = 0
        with store.transaction() as project:
            expected = _expected_usage(project)
            for category in AssetCategory:
                for asset in self._group(project, category):
                    want = expected.get(asset.asset_id, [])
                    have = asset.usage
                    if len(set(have)) != len(have) or set(have) != set(want):
                        asset.usage = want
                        changed += 1
                        store.touch_manifest()
                        if isinstance(asset, Character):
                            store.emit(
                                CharacterUsageUpdatedEvent(asset_id=asset.asset_id, usage=want)
                            )
        return changed

    # ------------------------------------------------------------ deleting

    def delete(self, asset: AssetRef, *, force: bool = False) -> str:
        """Delete an asset: its folder goes to the project's trash.

        An asset that shots use is refused with `AssetInUseError` (listing them) unless
        ``force=True``, which also takes it out of those shots. Returns the trash path.
        """
        store = self._store
        with store.transaction() as project:
            category, found = self._locate(project, asset)
            usages = self._usages(project, found.asset_id)
            if usages and not force:
                raise AssetInUseError(found, usages)
            for chapter in project.narrative.chapters:
                for scene in chapter.scenes:
                    touched = [s for s in scene.shots if found.asset_id in _used_by(s)]
                    for shot in touched:
                        _forget(shot, found.asset_id)
                    if touched:
                        store.touch_scene(scene)
            group = self._group(project, category)
            group.remove(found)
            store.touch_manifest()
            if isinstance(found, Character) and found.usage:
                store.emit(CharacterUsageUpdatedEvent(asset_id=found.asset_id, usage=[]))
            for f in found.files:
                (self._root / thumbnail_path(f.path)).unlink(missing_ok=True)
            trashed = ""
            if found.folder and (self._root / found.folder).exists():
                trashed = move_to_trash(self._root, found.folder)
            store.emit(
                ProjectUpdateEvent(
                    changes={
                        "action": "removed",
                        "kind": "asset",
                        "id": found.asset_id,
                        "category": category.value,
                        "trash": trashed,
                        "shots": [s.shot_id for s in usages.shots],
                    }
                )
            )
        return trashed

    # ------------------------------------------------------------ thumbnails

    def thumbnail(self, file: AssetFile) -> Path | None:
        """The thumbnail of an asset file, made again when missing or out of date."""
        if file.thumbnail is None:
            return None
        target, source = self._root / file.thumbnail, self._root / file.path
        if not source.is_file():
            return None
        if not target.is_file() or target.stat().st_mtime < source.stat().st_mtime:
            self._make_thumbnail(file)
        return target if target.is_file() else None

    def regenerate_thumbnails(self) -> int:
        """Make every asset thumbnail again from its source file; return how many were made."""
        made = 0
        for asset in self.list():
            for f in asset.files:
                if (self._root / f.path).is_file() and self._make_thumbnail(f):
                    made += 1
        return made

    def _make_thumbnail(self, file: AssetFile) -> bool:
        if file.thumbnail is None:
            return False
        try:
            size = self._store.settings.thumbnail_size
            return make_thumbnail(self._root, file.path, file.kind, size) is not None
        except Exception as exc:  # the file stays usable; its thumbnail can be made later
            log.warning("no thumbnail for %s: %s", file.path, exc)
            return False

    def __repr__(self) -> str:
        return f"<AssetLibrary of {self._root.name!r}, {len(self.list())} assets>"


# ---------------------------------------------------------------------- helpers


def _specs(files: Iterable[FileSpec] | FileSpec) -> list[FileSpec]:
    if isinstance(files, str | Path):
        return [files]
    if isinstance(files, tuple) and len(files) == 2 and isinstance(files[1], bytes | bytearray):
        return [files]  # one upload: (name, content)
    return list(files)


def _run_undo(undo: list[Callable[[], None]]) -> None:
    for step in reversed(undo):
        try:
            step()
        except OSError as exc:
            log.warning("could not undo part of a failed import: %s", exc)


def _key_part(text: str, what: str) -> str:
    part = safe_file_name(check_name(text, what, 60), 60).lower()
    part = re.sub(r"[^\w-]+", "_", part).strip("_")
    if not part:
        raise AssetError(f"{what} {text!r} has no usable characters")
    return part


def _asset_file(rel: str, upload: Upload, label: str) -> AssetFile:
    info = upload.info
    return AssetFile(
        path=rel,
        kind=info.kind,
        format=info.format,
        sha256=info.sha256,
        size=info.size,
        width=info.width,
        height=info.height,
        duration=info.duration,
        label=label,
        thumbnail=thumbnail_path(rel) if info.kind in _PICTURE_KINDS else None,
    )


def _used_by(shot: Shot) -> set[str]:
    return {*shot.characters, *(a for a in (shot.location, shot.style) if a is not None)}


def _forget(shot: Shot, asset_id: str) -> None:
    if asset_id in shot.characters:
        shot.characters = [c for c in shot.characters if c != asset_id]
    if shot.location == asset_id:
        shot.location = None
    if shot.style == asset_id:
        shot.style = None


def _expected_usage(project: Project) -> dict[str, list[str]]:
    expected: dict[str, list[str]] = {}
    for chapter in project.narrative.chapters:
        for scene in chapter.scenes:
            for shot in scene.shots:
                for asset_id in sorted(_used_by(shot)):
                    expected.setdefault(asset_id, []).append(shot.id)
    return expected
