"""Use cases on the in-memory adapters: no database, no bcrypt, milliseconds per test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory.store import MemoryDatabase, MemoryUnitOfWork
from application.ports import Clock, PasswordHasher
from domain.users import Actor, Role


class SteppingClock(Clock):
    """Each reading is a millisecond after the previous, starting a minute ago: creation order shows."""

    def __init__(self) -> None:
        self._now = datetime.now(UTC) - timedelta(minutes=1)

    def now(self) -> datetime:
        self._now += timedelta(milliseconds=1)
        return self._now


class PlainPasswordHasher(PasswordHasher):
    """A reversible stand-in for bcrypt where hashing cost is not what a test is about."""

    def __init__(self) -> None:
        self.burned: list[str] = []

    async def hash(self, password: str) -> str:
        return f"plain${password}"

    async def verify(self, password: str, password_hash: str) -> bool:
        return password_hash == f"plain${password}"

    async def burn(self, password: str) -> None:
        self.burned.append(password)


@pytest.fixture
def memory() -> MemoryDatabase:
    return MemoryDatabase()


@pytest.fixture
def uow(memory: MemoryDatabase) -> MemoryUnitOfWork:
    return MemoryUnitOfWork(memory)


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture
def hasher() -> PlainPasswordHasher:
    return PlainPasswordHasher()


ADMIN = Actor(user_id=1, role=Role.ADMIN)
CUSTOMER = Actor(user_id=2, role=Role.CUSTOMER)
