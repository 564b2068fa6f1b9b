from __future__ import annotations

from application.auth.sessions import (
    IssuedTokens,
    new_refresh_token,
    opened_with_current_password,
    refresh_hash,
)
from application.ports import SessionStore, TokenIssuer, UnitOfWork
from domain.errors import NotAuthenticated

_INVALID = "invalid or expired refresh token"


class RefreshSession:
    """Trade a refresh token for a new access token and a new refresh token.

    - the old refresh token stops working; the swap is one atomic compare-and-set,
      so two requests with the same token never both succeed;
    - presenting a token that was already swapped ends its whole session
      (a stolen copy was used, or the client replayed it): NotAuthenticated;
    - a deactivated account's tokens are refused (NotAuthenticated): its sessions
      have ended. So are those of a session opened before the account's password
      was last changed.
    """

    def __init__(self, uow: UnitOfWork, tokens: TokenIssuer, sessions: SessionStore) -> None:
        self._uow = uow
        self._tokens = tokens
        self._sessions = sessions

    async def __call__(self, refresh_token: str) -> IssuedTokens:
        if not refresh_token or len(refresh_token) > 512:
            raise NotAuthenticated(_INVALID)
        new_token = new_refresh_token()
        grant = await self._sessions.rotate(refresh_hash(refresh_token), refresh_hash(new_token))
        if grant is None:
            raise NotAuthenticated(_INVALID)
        async with self._uow as uow:
            user = await uow.users.get(grant.user_id)
        if user is None or not user.is_active or not opened_with_current_password(user, grant.session_id):
            await self._sessions.end(grant.session_id)
            raise NotAuthenticated(_INVALID)
        return IssuedTokens(self._tokens.issue_access(user, grant.session_id), new_token)
