"""The database's id range: an id beyond it names nothing (not found, never an error)."""

from __future__ import annotations

MAX_DB_ID = 2**63 - 1


def is_storable_id(value: int) -> bool:
    """Ids beyond the database's integer range simply do not exist."""
    return 0 < value <= MAX_DB_ID
