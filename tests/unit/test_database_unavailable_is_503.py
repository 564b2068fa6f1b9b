"""A PostgreSQL that is there but cannot take us (too many clients, shutting down) is a 503."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError

from entrypoints.http.problems import database_error_handler


def wrapped(error: Exception) -> DBAPIError:
    """The shape SQLAlchemy's asyncpg dialect raises: DBAPIError ← adapted error ← asyncpg error."""
    try:
        try:
            raise AsyncAdapt_asyncpg_dbapi.Error(str(error)) from error  # type: ignore[no-untyped-call]
        except AsyncAdapt_asyncpg_dbapi.Error as adapted:
            raise DBAPIError("SELECT 1", None, adapted) from adapted
    except DBAPIError as raised:
        return raised


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    ],
)
def test_a_database_that_cannot_serve_now_answers_503_with_retry_after(error: Exception) -> None:
    response = database_error_handler(None, wrapped(error))  # type: ignore[arg-type]
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"


def test_any_other_database_error_stays_a_500_without_details() -> None:
    response = database_error_handler(
        None,  # type: ignore[arg-type]  # the handler does not look at the request
        wrapped(asyncpg.exceptions.DivisionByZeroError("division by zero")),
    )
    assert response.status_code == 500
    assert b"division" not in bytes(response.content)
