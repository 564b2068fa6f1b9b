from __future__ import annotations

from application.ports import UnitOfWork
from domain.errors import NotAuthenticated
from domain.users import Actor, User


class GetCurrentUser:
    """The caller's own account."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, actor: Actor) -> User:
        async with self._uow as uow:
            user = await uow.users.get(actor.user_id)
        if user is None:
            raise NotAuthenticated("invalid token")
        return user
