"""Administration of accounts."""

from __future__ import annotations

from dataclasses import dataclass

from application.ids import is_storable_id
from application.ports import SessionStore, UnitOfWork
from domain.errors import Conflict, NotFound
from domain.users import Actor, User


@dataclass(frozen=True, slots=True)
class UserQuery:
    email: str | None = None
    limit: int = 50
    offset: int = 0


class ListUsers:
    """Accounts by id, for administrators; `email` matches exactly after lower-casing."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, actor: Actor, query: UserQuery) -> list[User]:
        actor.ensure_admin()
        email = query.email.lower() if query.email is not None else None
        async with self._uow as uow:
            return await uow.users.list(email, query.limit, query.offset)


class DeactivateUser:
    """Deactivate an account (administrators only) and end all its sessions for good.

    - its tokens stay dead even after reactivation: the user logs in again;
    - an administrator cannot deactivate their own account (Conflict): that would
      lock out the last admin just as easily as any other;
    - repeating it is harmless, and ends any session a failed first attempt left.
    """

    def __init__(self, uow: UnitOfWork, sessions: SessionStore) -> None:
        self._uow = uow
        self._sessions = sessions

    async def __call__(self, actor: Actor, user_id: int) -> User:
        actor.ensure_admin()
        if user_id == actor.user_id:
            raise Conflict("an administrator cannot deactivate their own account")
        async with self._uow as uow:
            user = await _existing(uow, user_id)
            if user.is_active:
                user = user.with_active(False)
                await uow.users.save(user)
                await uow.commit()
        await self._sessions.end_all(user.id)
        return user


class ActivateUser:
    """Reactivate an account (administrators only). Old sessions stay ended."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, actor: Actor, user_id: int) -> User:
        actor.ensure_admin()
        async with self._uow as uow:
            user = await _existing(uow, user_id)
            if not user.is_active:
                user = user.with_active(True)
                await uow.users.save(user)
                await uow.commit()
        return user


async def _existing(uow: UnitOfWork, user_id: int) -> User:
    user = await uow.users.get(user_id) if is_storable_id(user_id) else None
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user
