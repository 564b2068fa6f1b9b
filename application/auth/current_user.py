from __future__ import annotations

from application.ports import AccountReadModel
from domain.errors import NotAuthenticated
from domain.users import Actor, User


class GetCurrentUser:
    """The caller's own account (the row authentication just read: no second lookup)."""

    def __init__(self, accounts: AccountReadModel) -> None:
        self._accounts = accounts

    async def __call__(self, actor: Actor) -> User:
        user = await self._accounts.user(actor.user_id)
        if user is None:
            raise NotAuthenticated("invalid token")
        return user
