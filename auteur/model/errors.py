"""Readable validation errors that name each bad field and where it is."""

from __future__ import annotations

from pydantic import ValidationError

__all__ = ["ManifestError", "describe_validation_error"]


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def describe_validation_error(error: ValidationError) -> list[str]:
    """Return one line per problem: `location: message (got value)`."""
    lines = []
    for item in error.errors(include_url=False):
        where = _location(item["loc"])
        message = item["msg"]
        if item["type"] in ("missing", "json_invalid"):
            lines.append(f"{where}: {message}")
        else:
            got = repr(item.get("input"))
            if len(got) > 60:
                got = got[:57] + "..."
            lines.append(f"{where}: {message} (got {got})")
    return lines


class ManifestError(ValueError):
    """A project file is malformed. `problems` holds one line per bad field."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        detail = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source} is not a valid Auteur file:\n{detail}")
