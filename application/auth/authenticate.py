from __future__ import annotations

import asyncio

from application.auth.sessions import opened_with_current_password
from application.ports import AccountReadModel, SessionStore, TokenIssuer
from domain.errors import NotAuthenticated
from domain.users import Actor


class Authenticate:
    """Turn a bearer token into the acting user.

    - the user row is read on every call (one primary-key lookup, nothing else
      of the account: never its orders) so that a deactivated account is refused
      at once (AccountDisabled), even with an unexpired token, and a role change
      takes effect without a new login;
    - the token's session must still be live: after logout, deactivation or
      refresh-token reuse or a password reset its access tokens are refused
      (NotAuthenticated). A
      session store that cannot be reached refuses too (DependencyUnavailable).

    The two lookups are made at once (one wait, not two); their answers are judged in the order
    above, so a deactivated account is 403 even while the session store is unreachable.
    """

    def __init__(self, accounts: AccountReadModel, tokens: TokenIssuer, sessions: SessionStore) -> None:
        self._accounts = accounts
        self._tokens = tokens
        self._sessions = sessions

    async def __call__(self, token: str | None) -> Actor:
        if not token:
            raise NotAuthenticated("missing bearer token")
        claims = self._tokens.verify_access(token)
        session = asyncio.ensure_future(self._sessions.owner(claims.session_id))
        try:
            user = await self._accounts.user(claims.user_id)
            if user is None:
                raise NotAuthenticated("invalid token")
            user.ensure_active()
            if not opened_with_current_password(user, claims.session_id) or await session != user.id:
                raise NotAuthenticated("this session has ended; log in again")
        finally:
            if not session.done():
                session.cancel()  # its answer no longer matters
            elif not session.cancelled():
                session.exception()  # looked at: an unreachable store was not this answer's reason
        return Actor(user_id=user.id, role=user.role, session_id=claims.session_id)
