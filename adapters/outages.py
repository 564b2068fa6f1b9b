"""Which errors mean "a dependency cannot be reached right now", for every connection pool.

One classifier for the SQLAlchemy engine, the raw asyncpg read pool and the Redis client:
the HTTP error map answers 503 with `Retry-After` for what it recognises, the background
sweeper and the start-up checks wait for it. It knows the drivers so that nothing above the
adapters has to. Every other error is a bug (or a broken rule the adapters already map to a
domain error) and is not retried.
"""

from __future__ import annotations

import errno
import socket
from types import TracebackType

import asyncpg  # type: ignore[import-untyped]
from redis import exceptions as redis_errors
from sqlalchemy import exc as sa

from domain.errors import DependencyUnavailable

DATABASE = "database"
REDIS = "redis"
NETWORK = "network"

# PostgreSQL: connection exceptions (08…), insufficient resources (53…: too many connections,
# out of memory, disk full, a configured limit reached), shutting down, crashed, starting up or
# an idle session ended by the server (57P01–57P03, 57P05). The server is there but cannot serve
# us now: retry shortly. (57P04, the database dropped, and 57014, a statement cancelled, are not.)
_UNAVAILABLE_SQLSTATES = ("08", "53", "57P01", "57P02", "57P03", "57P05")
# asyncpg's InterfaceError is both "the connection went away" and API misuse: only the former.
_CLOSED_MARKERS = ("closed", "closing", "terminat", "connection lost", "not connected")
# asyncpg's own InternalClientError, exactly (its subclasses say other things: a type cache gone
# stale after a schema change, no host of the wanted role): its protocol state machine for this
# connection is in a state it cannot go on from. Seen when PostgreSQL shuts down or a backend is
# terminated: the server's FATAL ErrorResponse (57P01, 57P02) reaches an *idle* connection, which
# asyncpg cannot take when idle, so it marks the connection's protocol as failed; until the close
# that follows arrives, the connection still looks open and the next query on it fails at once
# with "cannot switch to state …; another operation (2) is in progress". asyncpg aborts the
# connection as it raises this, so both pools replace it: a retry gets a new one.
_PROTOCOL_BROKEN = asyncpg.exceptions.InternalClientError
# An OperationalError from any database (SQLite included) that says it could not connect.
_CONNECT_MARKERS = ("connect", "connection", "unable to open", "terminat", "shutting down", "starting up")
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.ETIMEDOUT,
        errno.EPIPE,
        errno.EADDRNOTAVAIL,
    }
)
_LIBRARIES = {
    "asyncpg": DATABASE,
    "sqlalchemy": DATABASE,
    "aiosqlite": DATABASE,
    "redis": REDIS,
    "limits": REDIS,
}


def unavailable_dependency(error: BaseException) -> str | None:
    """`database`, `redis` or `network` when `error` means that dependency is unreachable
    (refused, reset, timed out, starting up, shutting down, out of connections, a connection the
    server ended under the driver); else None."""
    chain = _chain(error)
    for link in chain:
        if isinstance(link, DependencyUnavailable):
            return _origin(chain) or NETWORK
        if isinstance(link, sa.TimeoutError):  # no connection free in the pool in time
            return DATABASE
        if isinstance(link, sa.DBAPIError) and link.connection_invalidated:
            return DATABASE
        if isinstance(link, asyncpg.exceptions.PostgresConnectionError):
            return DATABASE
        state = getattr(link, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_UNAVAILABLE_SQLSTATES):
            return DATABASE
        if isinstance(link, asyncpg.exceptions.InterfaceError) and _says(link, _CLOSED_MARKERS):
            return DATABASE
        if type(link) is _PROTOCOL_BROKEN:
            return DATABASE
        if isinstance(link, sa.OperationalError) and _says(link.orig or link, _CONNECT_MARKERS):
            return DATABASE
        if isinstance(link, redis_errors.ConnectionError | redis_errors.TimeoutError):
            return REDIS
    for link in chain:
        if _is_network(link):
            return _origin(chain) or NETWORK
    return None


def _is_network(error: BaseException) -> bool:
    if isinstance(error, ConnectionError | TimeoutError | socket.gaierror):
        return True
    if isinstance(error, OSError):
        # asyncio's "Multiple exceptions: [Errno 111] …" (one per address tried) has no errno.
        return error.errno in _NETWORK_ERRNOS or (error.errno is None and "errno" in str(error).lower())
    return False


def _chain(error: BaseException) -> list[BaseException]:
    """The error, what it wraps (`orig`) and what caused it, a few levels deep."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [error]
    while todo and len(seen) < 8:
        link = todo.pop(0)
        if any(link is known for known in seen):
            continue
        seen.append(link)
        for nested in (getattr(link, "orig", None), link.__cause__, link.__context__):
            if isinstance(nested, BaseException):
                todo.append(nested)
    return seen


def _says(error: BaseException, markers: tuple[str, ...]) -> bool:
    text = str(error).lower()
    return any(marker in text for marker in markers)


def _origin(chain: list[BaseException]) -> str | None:
    """The dependency whose library raised (or first saw) a plain network error."""
    for link in chain:
        module = type(link).__module__.partition(".")[0]
        if module in _LIBRARIES:
            return _LIBRARIES[module]
        tb: TracebackType | None = link.__traceback__
        origin = None
        while tb is not None:  # the innermost library frame wins
            name = str(tb.tb_frame.f_globals.get("__name__", "")).partition(".")[0]
            origin = _LIBRARIES.get(name, origin)
            tb = tb.tb_next
        if origin is not None:
            return origin
    return None
