"""Partial updates: `UNCHANGED` marks a field a PATCH leaves alone (distinct from an explicit null)."""

from __future__ import annotations

import enum
from typing import Final, Literal, TypeAlias, TypeVar, Union

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
