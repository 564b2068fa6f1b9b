"""The `limit` and `offset` query parameters every list takes, declared once."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

from application.ids import MAX_DB_ID
from application.paging import MAX_LIMIT

Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description=f"Page size, 1–{MAX_LIMIT}")]
Offset = Annotated[int, Parameter(ge=0, le=MAX_DB_ID, description="Items to skip")]
