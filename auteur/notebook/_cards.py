"""Compact HTML cards for projects, chapters, scenes, shots, takes and characters.

Pure HTML (no Panel), so they show in any Jupyter front end and in exported notebooks.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model import Chapter, Character, Project, Scene, Shot, Take

if TYPE_CHECKING:
    from ..storage import ProjectStore

__all__ = ["card", "chapter_card", "project_card", "register_formatters", "takes_table"]

_STYLE = (
    "border:1px solid #d0d0d0;border-radius:6px;padding:8px 12px;margin:4px 0;"
    "font-family:system-ui,sans-serif;font-size:13px;max-width:640px"
)


def _card(kind: str, title: str, facts: Iterable[tuple[str, Any]], extra: str = "") -> str:
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:12px;color:#555;font-weight:500'>"
        f"{html.escape(name)}</th><td>{html.escape(str(value))}</td></tr>"
        for name, value in facts
        if value not in (None, "", [])
    )
    return (
        f"<div class='auteur-card auteur-{kind}' style='{_STYLE}'>"
        f"<div style='color:#777;font-size:11px;text-transform:uppercase'>{kind}</div>"
        f"<div style='font-weight:600;font-size:15px;margin-bottom:4px'>{html.escape(title)}</div>"
        f"<table>{rows}</table>{extra}</div>"
    )


def _count_shots(chapters: list[Chapter]) -> tuple[int, int, int]:
    scenes = [s for c in chapters for s in c.scenes]
    shots = [sh for s in scenes for sh in s.shots]
    return len(scenes), len(shots), sum(len(sh.takes) for sh in shots)


def project_card(project: Project, path: Path | None = None) -> str:
    """A project: its name, quality, structure and what it holds."""
    chapters = project.narrative.chapters
    scenes, shots, takes = _count_shots(chapters)
    characters = ", ".join(c.name for c in project.assets.characters)
    return _card(
        "project",
        project.name,
        [
            ("Quality", project.quality.value),
            ("Structure", project.narrative.structure.value),
            ("Contents", f"{len(chapters)} chapters, {scenes} scenes, {shots} shots"),
            ("Takes", takes),
            ("Characters", characters),
            ("Folder", path),
        ],
    )


def chapter_card(chapter: Chapter) -> str:
    """A chapter: number, title and its scenes."""
    scenes = ", ".join(f"{s.number}. {s.title}" for s in chapter.scenes)
    return _card(
        "chapter",
        f"Chapter {chapter.number}: {chapter.title}",
        [("Description", chapter.description), ("Scenes", scenes)],
    )


def scene_card(scene: Scene) -> str:
    """A scene: number, title, heading and shots."""
    shots = ", ".join(f"{s.number}. {s.title or s.description[:40]}" for s in scene.shots)
    return _card(
        "scene",
        f"Scene {scene.number}: {scene.title}",
        [("Heading", scene.heading), ("Description", scene.description), ("Shots", shots)],
    )


def shot_card(shot: Shot) -> str:
    """A shot: number, description, framing, cast and takes."""
    return _card(
        "shot",
        f"Shot {shot.number}" + (f": {shot.title}" if shot.title else ""),
        [
            ("Description", shot.description),
            ("Framing", shot.framing.value if shot.framing else None),
            ("Frames", shot.duration),
            ("Characters", len(shot.characters) or None),
            ("Takes", len(shot.takes)),
            ("Active take", next((t.number for t in shot.takes if t.id == shot.active_take), None)),
        ],
    )


def take_card(take: Take, picture: str = "") -> str:
    """A take: number, file, pipeline, seed and prompt; with its picture when given."""
    extra = (
        f"<img src='{picture}' alt='take {take.number}' style='max-width:240px;margin-top:4px'>"
        if picture
        else ""
    )
    return _card(
        "take",
        f"Take {take.number:02d}" + (" (rejected)" if take.rejected else ""),
        [
            ("File", take.path),
            ("Pipeline", take.recipe.pipeline_id),
            ("Quality", take.recipe.quality.value if take.recipe.quality else None),
            ("Seed", take.recipe.seed),
            ("Prompt", take.recipe.prompt[:160]),
        ],
        extra,
    )


def character_card(character: Character) -> str:
    """A character: stage, trigger word, pictures and the shots using it."""
    return _card(
        "character",
        character.name,
        [
            ("Stage", character.stage.value),
            ("Description", character.description),
            ("Trigger word", character.trigger_word),
            ("Prompt", character.prompt_fragment),
            ("Base face", character.base_face_image_path),
            ("References", len(character.reference_images) or None),
            ("Variations", ", ".join(character.variations)),
            ("LoRA", character.lora_training_status.value),
            ("Used in", f"{len(character.usage)} shots"),
        ],
    )


def card(item: Any) -> str:
    """The card of any model object this module knows."""
    for kind, make in _MAKERS:
        if isinstance(item, kind):
            return make(item)
    raise TypeError(f"no card for {type(item).__name__}")


_MAKERS: list[tuple[type, Any]] = [
    (Project, project_card),
    (Chapter, chapter_card),
    (Scene, scene_card),
    (Shot, shot_card),
    (Take, take_card),
    (Character, character_card),
]


def takes_table(rows: list[tuple[str, Take]], store: ProjectStore | None = None) -> str:
    """A table of takes, one row per (shot code, take), with thumbnails when `store` is given."""
    from ._pictures import take_picture

    body = []
    for code, take in rows:
        picture = take_picture(store, take) if store is not None else ""
        image = f"<img src='{picture}' style='height:54px' alt='{html.escape(code)}'>"
        body.append(
            "<tr>"
            f"<td>{image if picture else ''}</td><td>{html.escape(code)}</td>"
            f"<td>{take.number}</td><td>{html.escape(take.recipe.pipeline_id)}</td>"
            f"<td>{html.escape(take.recipe.quality.value if take.recipe.quality else '')}</td>"
            f"<td>{take.recipe.seed if take.recipe.seed is not None else ''}</td>"
            f"<td>{html.escape(take.path)}</td></tr>"
        )
    head = "".join(
        f"<th style='text-align:left;padding-right:10px'>{h}</th>"
        for h in ("", "Shot", "Take", "Pipeline", "Quality", "Seed", "File")
    )
    return (
        f"<table class='auteur-takes' style='font-size:13px'><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def register_formatters() -> bool:
    """Show model objects as cards in the running IPython; False outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    formatter = shell.display_formatter.formatters["text/html"]
    for kind, make in _MAKERS:
        formatter.for_type(kind, make)
    return True
