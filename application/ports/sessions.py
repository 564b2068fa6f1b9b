"""Login sessions and rate limits: state shared by every app instance."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SessionGrant:
    """A session that a refresh token was just rotated in."""

    user_id: int
    session_id: str


class SessionStore(Protocol):
    """Login sessions (refresh-token families), shared by every app instance.

    Refresh tokens are known only by their hashes. Every call is atomic; a store
    that cannot be reached raises DependencyUnavailable (never "valid").
    """

    @abstractmethod
    async def start(self, user_id: int, session_id: str, refresh_hash: str) -> None:
        """Open a session whose current refresh token has this hash."""

    @abstractmethod
    async def rotate(self, old_hash: str, new_hash: str) -> SessionGrant | None:
        """Replace the session's current refresh token, as one compare-and-set.

        None when the token is unknown, expired or its session ended. A token that
        was already rotated away ends its whole session (reuse detection) and gives None.
        """

    @abstractmethod
    async def owner(self, session_id: str) -> int | None:
        """The user of a live session; None once it has ended or expired."""

    @abstractmethod
    async def end(self, session_id: str) -> None: ...

    @abstractmethod
    async def end_all(self, user_id: int) -> None:
        """End every session of the user, for good."""


class RateLimit(StrEnum):
    FAILED_LOGINS = "login"
    REGISTRATIONS = "register"
    API_REQUESTS = "api"


class RateLimiter(Protocol):
    """Counters over time windows, shared by every app instance. A limit may be off."""

    @abstractmethod
    async def hit(self, limit: RateLimit, key: str) -> None:
        """Count one event; TooManyRequests (with retry_after) if the limit was already reached."""

    @abstractmethod
    async def count(self, limit: RateLimit, key: str) -> None:
        """Count one event that has already happened; never refuses."""

    @abstractmethod
    async def ensure_open(self, limit: RateLimit, key: str) -> None:
        """TooManyRequests if the limit is reached, counting nothing."""

    @abstractmethod
    async def give_back(self, limit: RateLimit, key: str) -> None:
        """Uncount one event that `hit` counted and that turned out not to count (a slot
        reserved for an attempt that did not fail); never refuses."""
