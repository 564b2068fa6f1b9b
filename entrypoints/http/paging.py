"""The `limit` and `offset` query parameters every list takes, declared once."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.params import Parameter

from application.ids import MAX_DB_ID
from application.paging import MAX_LIMIT


def _bounded(minimum: int, maximum: int, description: str) -> Any:
    # The bounds are written into the document as they are: Litestar would turn them into
    # floats, and 2**63 - 1 as a float is 2**63, one more than the API takes.
    return Parameter(
        ge=minimum,
        le=maximum,
        description=description,
        schema_extra={"minimum": minimum, "maximum": maximum},
    )


Limit = Annotated[int, _bounded(1, MAX_LIMIT, f"Page size, 1–{MAX_LIMIT}")]
Offset = Annotated[int, _bounded(0, MAX_DB_ID, f"Items to skip, 0–{MAX_DB_ID}")]
