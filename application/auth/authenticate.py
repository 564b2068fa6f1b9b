from __future__ import annotations

from application.ports import TokenIssuer, UnitOfWork
from domain.errors import NotAuthenticated
from domain.users import Actor


class Authenticate:
    """Turn a bearer token into the acting user.

    The user row is read on every call (one primary-key lookup) so that a
    deactivated account is refused at once, even with an unexpired token, and a
    role change takes effect without a new login.
    """

    def __init__(self, uow: UnitOfWork, tokens: TokenIssuer) -> None:
        self._uow = uow
        self._tokens = tokens

    async def __call__(self, token: str | None) -> Actor:
        if not token:
            raise NotAuthenticated("missing bearer token")
        claims = self._tokens.verify_access(token)
        async with self._uow as uow:
            user = await uow.users.get(claims.user_id)
        if user is None:
            raise NotAuthenticated("invalid token")
        user.ensure_active()
        return Actor(user_id=user.id, role=user.role, session_id=claims.session_id)
