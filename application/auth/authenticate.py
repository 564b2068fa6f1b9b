from __future__ import annotations

from application.ports import SessionStore, TokenIssuer, UnitOfWork
from domain.errors import NotAuthenticated
from domain.users import Actor


class Authenticate:
    """Turn a bearer token into the acting user.

    - the user row is read on every call (one primary-key lookup) so that a
      deactivated account is refused at once (AccountDisabled), even with an
      unexpired token, and a role change takes effect without a new login;
    - the token's session must still be live: after logout, deactivation or
      refresh-token reuse its access tokens are refused (NotAuthenticated). A
      session store that cannot be reached refuses too (DependencyUnavailable).
    """

    def __init__(self, uow: UnitOfWork, tokens: TokenIssuer, sessions: SessionStore) -> None:
        self._uow = uow
        self._tokens = tokens
        self._sessions = sessions

    async def __call__(self, token: str | None) -> Actor:
        if not token:
            raise NotAuthenticated("missing bearer token")
        claims = self._tokens.verify_access(token)
        async with self._uow as uow:
            user = await uow.users.get(claims.user_id)
        if user is None:
            raise NotAuthenticated("invalid token")
        user.ensure_active()
        if await self._sessions.owner(claims.session_id) != user.id:
            raise NotAuthenticated("this session has ended; log in again")
        return Actor(user_id=user.id, role=user.role, session_id=claims.session_id)
