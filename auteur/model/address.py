"""Find chapters, scenes and shots by number (`1/2/3`) or by id."""

from __future__ import annotations

from dataclasses import dataclass

from .project import Chapter, Project, Scene, Shot

__all__ = ["AddressError", "Located", "locate", "shot_code"]


class AddressError(LookupError):
    """An address names nothing in the project, or is malformed."""


@dataclass(frozen=True)
class Located:
    """What an address points to, with its parents."""

    chapter: Chapter
    scene: Scene | None = None
    shot: Shot | None = None

    @property
    def item(self) -> Chapter | Scene | Shot:
        return self.shot or self.scene or self.chapter

    @property
    def kind(self) -> str:
        return "shot" if self.shot else "scene" if self.scene else "chapter"

    @property
    def address(self) -> str:
        parts = [self.chapter.number, self.scene.number if self.scene else None]
        parts.append(self.shot.number if self.shot else None)
        return "/".join(str(p) for p in parts if p is not None)


def _pick(items: list, number: str, what: str, where: str) -> object:
    try:
        index = int(number)
    except ValueError:
        raise AddressError(f"{what} number {number!r} in {where!r} is not a number") from None
    if not 1 <= index <= len(items):
        raise AddressError(f"no {what} {index} in {where!r} (there are {len(items)})")
    return items[index - 1]


def _by_id(project: Project, ident: str) -> Located | None:
    for chapter in project.narrative.chapters:
        if chapter.id == ident:
            return Located(chapter)
        for scene in chapter.scenes:
            if scene.id == ident:
                return Located(chapter, scene)
            for shot in scene.shots:
                if shot.id == ident:
                    return Located(chapter, scene, shot)
    return None


def locate(project: Project, address: str, kind: str | None = None) -> Located:
    """Resolve `address` (``CH``, ``CH/SC``, ``CH/SC/SH`` or an id) in `project`.

    With `kind` ("chapter", "scene" or "shot") the address must name that kind of item.
    """
    address = address.strip()
    if not address:
        raise AddressError("empty address")
    if address[0].isdigit():
        parts = address.strip("/").split("/")
        if len(parts) > 3:
            raise AddressError(f"address {address!r} has more than CHAPTER/SCENE/SHOT")
        chapter = _pick(project.narrative.chapters, parts[0], "chapter", address)
        scene = _pick(chapter.scenes, parts[1], "scene", address) if len(parts) > 1 else None
        shot = _pick(scene.shots, parts[2], "shot", address) if len(parts) > 2 else None
        found = Located(chapter, scene, shot)
    else:
        found = _by_id(project, address)
        if found is None:
            raise AddressError(f"nothing in the project has the id {address!r}")
    if kind is not None and found.kind != kind:
        raise AddressError(f"{address!r} is a {found.kind}, not a {kind}")
    return found


def shot_code(scene: Scene, shot: Shot) -> str:
    """Return the shot's code, ``S<scene>_S<shot>`` with two digits each (``S01_S03``)."""
    return f"S{scene.number:02d}_S{shot.number:02d}"
