"""Small shared vocabulary of the use cases."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias, TypeVar, Union

from domain.errors import InvalidInput

T = TypeVar("T")


class _Unchanged(enum.Enum):
    """Marks a field a partial update leaves alone (distinct from an explicit null)."""

    UNCHANGED = enum.auto()

    def __repr__(self) -> str:
        return "UNCHANGED"

    def __bool__(self) -> Literal[False]:
        return False


UNCHANGED: Final = _Unchanged.UNCHANGED
Patch: TypeAlias = Union[T, Literal[_Unchanged.UNCHANGED]]  # noqa: UP007 - a generic alias

MAX_LIMIT = 100
DEFAULT_LIMIT = 50
MAX_DB_ID = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Page:
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidInput.for_field("limit", f"must be from 1 to {MAX_LIMIT}")
        if not 0 <= self.offset <= MAX_DB_ID:
            raise InvalidInput.for_field("offset", "must be 0 or more")


def is_storable_id(value: int) -> bool:
    """Ids beyond the database's integer range simply do not exist."""
    return 0 < value <= MAX_DB_ID
