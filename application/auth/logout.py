from __future__ import annotations

from application.ports import SessionStore
from domain.users import Actor


class LogOut:
    """End the caller's session: its refresh token and its access token stop working
    at once, on every instance."""

    def __init__(self, sessions: SessionStore) -> None:
        self._sessions = sessions

    async def __call__(self, actor: Actor) -> None:
        if actor.session_id:
            await self._sessions.end(actor.session_id)
