"""The shot list as CSV: export it for a spreadsheet, edit it there, import the changes back.

Columns: ``address``, ``code``, ``shot_id``, ``scene``, ``title``, ``description``, ``framing``,
``duration`` (frames), ``seconds``, ``characters`` and ``location`` (asset names; characters
separated by ``;``), ``dialogue`` and ``active_take``. An import changes the title, description,
framing, duration, characters and location of the shot each row names by ``shot_id`` (else by
``address``); the other columns are for reading. A row with no ``shot_id`` whose ``address``
names a scene (``2/3``) adds a shot there. Nothing is removed: shots missing from the file stay.
An import checks every row first and changes nothing if any is wrong.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..model import Framing, Project, Shot
from ..model.address import AddressError, locate, shot_code
from ..model.screenplay import name_key

if TYPE_CHECKING:
    from .store import ProjectStore

__all__ = [
    "SHOT_LIST_COLUMNS",
    "ShotListError",
    "ShotListImport",
    "import_shot_list",
    "shot_list_csv",
]

SHOT_LIST_COLUMNS = (
    "address",
    "code",
    "shot_id",
    "scene",
    "title",
    "description",
    "framing",
    "duration",
    "seconds",
    "characters",
    "location",
    "dialogue",
    "active_take",
)
_EDITABLE = ("title", "description", "framing", "duration", "characters", "location")
_SEPARATOR = ";"


class ShotListError(ValueError):
    """A shot list cannot be imported. `problems` holds one line per bad row."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:20]
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        detail = "\n".join(f"  - {p}" for p in shown)
        super().__init__(f"the shot list has {len(problems)} problem(s):\n{detail}{more}")


@dataclass
class ShotListImport:
    """What a shot list import changed, by shot id."""

    updated: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.updated or self.added)


def _names(project: Project, ids: list[str], group: str) -> list[str]:
    assets = {a.asset_id: a.name for a in getattr(project.assets, group)}
    return [assets.get(i, i) for i in ids]


def shot_list_csv(store: ProjectStore) -> str:
    """The project's shot list as CSV text, in story order."""
    project = store.project
    fps = project.settings.fps
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SHOT_LIST_COLUMNS)
    for chapter, scene, shot in store.iter_shots():
        take = next((t for t in shot.takes if t.id == shot.active_take), None)
        location = _names(project, [shot.location], "locations")[0] if shot.location else ""
        dialogue = " / ".join(
            f"{d.speaker.upper()}: {' '.join(d.text.split())}" for d in shot.dialogue
        )
        row = {
            "address": f"{chapter.number}/{scene.number}/{shot.number}",
            "code": shot_code(scene, shot),
            "shot_id": shot.id,
            "scene": scene.heading or scene.title,
            "title": shot.title,
            "description": shot.description,
            "framing": shot.framing.value if shot.framing else "",
            "duration": shot.duration,
            "seconds": f"{shot.duration / fps:.2f}",
            "characters": f"{_SEPARATOR} ".join(_names(project, shot.characters, "characters")),
            "location": location,
            "dialogue": dialogue,
            "active_take": take.path if take is not None else "",
        }
        writer.writerow([row[column] for column in SHOT_LIST_COLUMNS])
    return out.getvalue()


class _Rows:
    """Reads and checks the rows of a shot list against the project."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.problems: list[str] = []
        self.characters = self._index(project.assets.characters)
        self.locations = self._index(project.assets.locations)

    @staticmethod
    def _index(assets: list[Any]) -> dict[str, str]:
        index: dict[str, str] = {}
        for asset in assets:
            index[name_key(asset.name)] = asset.asset_id
            index[asset.asset_id] = asset.asset_id
        return index

    def problem(self, row: int, message: str) -> None:
        self.problems.append(f"row {row}: {message}")

    def target(self, row: int, values: dict[str, str]) -> tuple[str, str] | None:
        """("shot", shot id) for an existing shot, ("scene", scene id) for a new one."""
        ident = values.get("shot_id", "").strip()
        address = values.get("address", "").strip()
        try:
            if ident:
                found = locate(self.project, ident, "shot")
            elif address:
                found = locate(self.project, address)
            else:
                self.problem(row, "has neither a shot_id nor an address")
                return None
        except AddressError as exc:
            self.problem(row, str(exc))
            return None
        if found.shot is not None:
            return "shot", found.shot.id
        if found.scene is not None:
            return "scene", found.scene.id
        self.problem(row, f"{address!r} is a chapter; give a scene (CH/SC) or a shot")
        return None

    def fields(self, row: int, values: dict[str, str]) -> dict[str, Any]:
        """The editable fields the row gives, checked and converted."""
        fields: dict[str, Any] = {}
        for column in _EDITABLE:
            if column not in values:
                continue
            raw = (values[column] or "").strip()
            if column == "duration" and not raw:
                continue  # an empty cell keeps the length (a new shot gets the default)
            try:
                fields[column] = self._convert(column, raw)
            except ValueError as exc:
                self.problem(row, f"{column}: {exc}")
        return fields

    def _convert(self, column: str, raw: str) -> Any:
        if column == "framing":
            if not raw:
                return None
            value = "-".join(raw.lower().replace("_", " ").split())
            try:
                return Framing(value)
            except ValueError:
                known = ", ".join(f.value for f in Framing)
                raise ValueError(f"{raw!r} is not a framing; use one of {known}") from None
        if column == "duration":
            try:
                frames = int(raw)
            except ValueError:
                raise ValueError(f"{raw!r} is not a whole number of frames") from None
            if frames < 1:
                raise ValueError(f"{frames} frames is too short; a shot lasts at least 1 frame")
            return frames
        if column == "characters":
            names = [n.strip() for n in raw.split(_SEPARATOR) if n.strip()]
            return [self._asset(n, self.characters, "character") for n in names]
        if column == "location":
            return self._asset(raw, self.locations, "location") if raw else None
        return raw

    @staticmethod
    def _asset(name: str, index: dict[str, str], what: str) -> str:
        found = index.get(name) or index.get(name_key(name))
        if found is None:
            raise ValueError(f"no {what} named {name!r} in the asset library")
        return found


def _read(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise ShotListError(["the file is empty; it needs a header row"]) from None
    except csv.Error as exc:
        raise ShotListError([f"row 1: {exc}"]) from None
    columns = [c.strip().lower() for c in header]
    if "shot_id" not in columns and "address" not in columns:
        raise ShotListError(["the header names neither a shot_id nor an address column"])
    rows = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            rows.append((reader.line_num, dict(zip(columns, values, strict=False))))
    except csv.Error as exc:
        raise ShotListError([f"row {reader.line_num}: {exc}"]) from None
    return columns, rows


def import_shot_list(store: ProjectStore, text: str) -> ShotListImport:
    """Apply the shot list CSV `text` to the project; see the module's documentation."""
    _, rows = _read(text)
    report = ShotListImport()
    with store.transaction() as project:
        checker = _Rows(project)
        planned: list[tuple[str, str, dict[str, Any]]] = []
        seen: dict[str, int] = {}
        for number, values in rows:
            target = checker.target(number, values)
            fields = checker.fields(number, values)
            if target is None:
                continue
            kind, ident = target
            if kind == "shot":
                if ident in seen:
                    checker.problem(number, f"shot {ident} is also on row {seen[ident]}")
                seen[ident] = number
            planned.append((kind, ident, fields))
        if checker.problems:
            raise ShotListError(checker.problems)
        for kind, ident, fields in planned:
            if kind == "scene":
                description = fields.pop("description", "") or ""
                shot = store.add_shot(ident, description, **_non_empty(fields))
                report.added.append(shot.id)
                continue
            found = store.locate(ident, "shot")
            assert found.shot is not None
            changes = _changes(found.shot, fields)
            if changes:
                store.update(ident, **changes)
                report.updated.append(ident)
            else:
                report.unchanged += 1
    return report


def _non_empty(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v not in (None, "", [])}


def _changes(shot: Shot, fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if getattr(shot, name) != value}
