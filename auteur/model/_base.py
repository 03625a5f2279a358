"""Base class for every on-disk model: camelCase on disk, snake_case in Python."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

__all__ = ["CamelModel"]


class CamelModel(BaseModel):
    """A model whose fields are camelCase on disk and keep any unknown field they are given."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        extra="allow",
        validate_assignment=True,
    )

    def to_data(self) -> dict[str, Any]:
        """Return the JSON-ready dict of this model, with camelCase keys."""
        return self.model_dump(mode="json", by_alias=True)
