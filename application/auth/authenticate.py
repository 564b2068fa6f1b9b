from __future__ import annotations

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
    """

    def __init__(self, accounts: AccountReadModel, tokens: TokenIssuer, sessions: SessionStore) -> None:
        self._accounts = accounts
        self._tokens = tokens
        self._sessions = sessions

    async def __call__(self, token: str | None) -> Actor:
        if not token:
            raise NotAuthenticated("missing bearer token")
        claims = self._tokens.verify_access(token)
        user = await self._accounts.user(claims.user_id)
        if user is None:
            raise NotAuthenticated("invalid token")
        user.ensure_active()
        if (
            not opened_with_current_password(user, claims.session_id)
            or await self._sessions.owner(claims.session_id) != user.id
        ):
            raise NotAuthenticated("this session has ended; log in again")
        return Actor(user_id=user.id, role=user.role, session_id=claims.session_id)
