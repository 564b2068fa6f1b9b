"""The fake user repository."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from adapters.sql.errors import UNIQUE_VIOLATIONS
from application.ports import UserRepository
from domain.errors import AlreadyExists
from domain.users import Role, User
from tests.fakes.state import MemoryState


class MemoryUserRepository(UserRepository):
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def _check_unique(self, email: str, own_id: int | None) -> None:
        if any(u.email == email and u.id != own_id for u in self._s.users.values()):
            raise AlreadyExists(UNIQUE_VIOLATIONS["uq_users_email"])

    async def add(self, email: str, password_hash: str, role: Role, now: datetime) -> User:
        self._check_unique(email, None)
        user = User(self._s.next_id("users"), email, password_hash, role, True, now)
        self._s.users[user.id] = user
        return user

    async def get(self, user_id: int) -> User | None:
        return self._s.users.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        return next((u for u in self._s.users.values() if u.email == email), None)

    async def save(self, user: User) -> None:
        stored = self._s.users.get(user.id)
        if stored is None:
            return
        self._check_unique(user.email, user.id)
        self._s.users[user.id] = replace(user, created_at=stored.created_at)

    async def list(self, email: str | None, limit: int, offset: int) -> list[User]:
        users = sorted(self._s.users.values(), key=lambda u: u.id)
        if email is not None:
            users = [u for u in users if u.email == email]
        return users[offset : offset + limit]
