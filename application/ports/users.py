"""Accounts: the repository the use cases write through."""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Protocol

from domain.users import Role, User


class UserRepository(Protocol):
    @abstractmethod
    async def add(self, email: str, password_hash: str, role: Role, now: datetime) -> User:
        """Insert; AlreadyExists if the email is taken."""

    @abstractmethod
    async def get(self, user_id: int) -> User | None: ...

    @abstractmethod
    async def get_by_email(self, email: str) -> User | None: ...

    @abstractmethod
    async def save(self, user: User) -> None: ...

    @abstractmethod
    async def list(self, email: str | None, limit: int, offset: int) -> list[User]: ...
