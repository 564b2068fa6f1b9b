"""Pages of a list: `limit` 1–100 (default 50), `offset` from 0 up to the id range."""

from __future__ import annotations

from dataclasses import dataclass

from application.ids import MAX_DB_ID
from domain.errors import InvalidInput

MAX_LIMIT = 100
DEFAULT_LIMIT = 50


@dataclass(frozen=True, slots=True)
class Page:
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidInput.for_field("limit", f"must be from 1 to {MAX_LIMIT}")
        if not 0 <= self.offset <= MAX_DB_ID:
            raise InvalidInput.for_field("offset", "must be 0 or more")
