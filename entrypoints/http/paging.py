"""The `limit` and `offset` query parameters every list takes, declared once."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

from application.ids import MAX_DB_ID
from application.paging import MAX_LIMIT

Limit = Annotated[
    int,
    Parameter(
        ge=1,
        le=MAX_LIMIT,
        description=f"Page size, 1–{MAX_LIMIT}",
        schema_extra={"minimum": 1, "maximum": MAX_LIMIT},
    ),
]
# The bounds are written into the document as they are: Litestar would turn them into
# floats, and 2**63 - 1 as a float is 2**63, one more than the API takes.
Offset = Annotated[
    int,
    Parameter(
        ge=0,
        le=MAX_DB_ID,
        description=f"Items to skip, 0–{MAX_DB_ID}",
        schema_extra={"minimum": 0, "maximum": MAX_DB_ID},
    ),
]
