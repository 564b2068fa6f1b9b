"""Sessions in process memory: the embedded default (one process) and the unit tests' fake.

Each method runs without awaiting, so on one event loop every call is atomic,
like the Redis scripts it stands in for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from application.ports import Clock, SessionGrant, SessionStore


@dataclass
class _Session:
    user_id: int
    current: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class _Issued:
    session_id: str
    expires_at: datetime


class MemorySessionStore(SessionStore):
    def __init__(self, clock: Clock, ttl: timedelta) -> None:
        self._clock = clock
        self._ttl = ttl
        self._sessions: dict[str, _Session] = {}
        self._tokens: dict[str, _Issued] = {}

    async def start(self, user_id: int, session_id: str, refresh_hash: str) -> None:
        self._forget_expired()
        expires_at = self._clock.now() + self._ttl
        self._sessions[session_id] = _Session(user_id, refresh_hash, expires_at)
        self._tokens[refresh_hash] = _Issued(session_id, expires_at)

    async def rotate(self, old_hash: str, new_hash: str) -> SessionGrant | None:
        now = self._clock.now()
        issued = self._tokens.get(old_hash)
        if issued is None or issued.expires_at <= now:
            return None
        session = self._live(issued.session_id)
        if session is None:
            return None
        if session.current != old_hash:
            self._sessions.pop(issued.session_id, None)
            return None
        session.current = new_hash
        session.expires_at = now + self._ttl
        self._tokens[new_hash] = _Issued(issued.session_id, session.expires_at)
        return SessionGrant(session.user_id, issued.session_id)

    async def owner(self, session_id: str) -> int | None:
        session = self._live(session_id)
        return session.user_id if session else None

    async def end(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    async def end_all(self, user_id: int) -> None:
        for session_id in [sid for sid, s in self._sessions.items() if s.user_id == user_id]:
            del self._sessions[session_id]

    def _live(self, session_id: str) -> _Session | None:
        session = self._sessions.get(session_id)
        if session is None or session.expires_at <= self._clock.now():
            return None
        return session

    def _forget_expired(self) -> None:
        now = self._clock.now()
        for sid in [sid for sid, s in self._sessions.items() if s.expires_at <= now]:
            del self._sessions[sid]
        for token in [t for t, issued in self._tokens.items() if issued.expires_at <= now]:
            del self._tokens[token]
