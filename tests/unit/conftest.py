"""Use cases on the in-memory adapters: no database, no bcrypt, milliseconds per test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.memory.sessions import MemorySessionStore
from adapters.rate_limits import LimitsRateLimiter, parse_limits
from adapters.security.tokens import JwtTokenIssuer
from application.auth.accounts import AccountsInUnitOfWork
from application.auth.authenticate import Authenticate
from application.auth.login import LogIn
from application.auth.register import RegisterCustomer
from application.ports import Clock, PasswordHasher, RateLimit
from domain.users import Actor, Role
from tests.fakes import MemoryDatabase, MemoryUnitOfWork


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


# ---- auth: the use cases wired on memory adapters -------------------------------


@pytest.fixture
def tokens(clock: SteppingClock) -> JwtTokenIssuer:
    return JwtTokenIssuer("unit-test-secret-key-of-32-bytes!!", "HS256", timedelta(minutes=10), clock)


@pytest.fixture
def sessions(clock: SteppingClock) -> MemorySessionStore:
    return MemorySessionStore(clock, timedelta(days=30))


def limiter_with(**settings: str) -> LimitsRateLimiter:
    """Every limit off except those named, e.g. `limiter_with(login="5/minute")`."""
    values = dict.fromkeys(RateLimit, "0")
    values.update({RateLimit(name): text for name, text in settings.items()})
    return LimitsRateLimiter.in_memory(parse_limits(values))


@pytest.fixture
def limiter() -> LimitsRateLimiter:
    """Limits off: the rate-limit rules have their own tests, which override this."""
    return limiter_with()


@pytest.fixture
def register(
    uow: MemoryUnitOfWork, hasher: PlainPasswordHasher, clock: SteppingClock, limiter: LimitsRateLimiter
) -> RegisterCustomer:
    return RegisterCustomer(uow, hasher, clock, limiter)


@pytest.fixture
def log_in(
    uow: MemoryUnitOfWork,
    hasher: PlainPasswordHasher,
    tokens: JwtTokenIssuer,
    sessions: MemorySessionStore,
    limiter: LimitsRateLimiter,
) -> LogIn:
    return LogIn(uow, hasher, tokens, sessions, limiter)


@pytest.fixture
def authenticate(uow: MemoryUnitOfWork, tokens: JwtTokenIssuer, sessions: MemorySessionStore) -> Authenticate:
    return Authenticate(AccountsInUnitOfWork(uow), tokens, sessions)
