"""Resetting a password: the new one works, the old one and every session of the account do not."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.memory.sessions import MemorySessionStore
from adapters.security.tokens import JwtTokenIssuer
from application.auth.authenticate import Authenticate
from application.auth.login import Credentials, LogIn
from application.auth.refresh import RefreshSession
from application.auth.register import RegisterCustomer, Registration
from application.auth.reset_password import ResetPassword
from domain.errors import InvalidInput, NotAuthenticated, NotFound
from tests.fakes import MemoryUnitOfWork
from tests.unit.conftest import PlainPasswordHasher, SteppingClock

OLD = "correct horse battery"
NEW = "a brand new password"


@pytest.fixture
def reset(uow: MemoryUnitOfWork, hasher: PlainPasswordHasher, sessions: MemorySessionStore) -> ResetPassword:
    return ResetPassword(uow, hasher, sessions)


async def test_after_a_reset_the_new_password_logs_in_and_the_old_one_and_old_sessions_do_not(
    register: RegisterCustomer,
    log_in: LogIn,
    reset: ResetPassword,
    authenticate: Authenticate,
    uow: MemoryUnitOfWork,
    tokens: JwtTokenIssuer,
    sessions: MemorySessionStore,
) -> None:
    await register(Registration("ann@example.com", OLD))
    before = await log_in(Credentials("ann@example.com", OLD))

    user = await reset("Ann@Example.com", NEW)

    assert user.email == "ann@example.com" and user.is_active
    with pytest.raises(NotAuthenticated):
        await log_in(Credentials("ann@example.com", OLD))
    with pytest.raises(NotAuthenticated):
        await authenticate(before.access.token)
    with pytest.raises(NotAuthenticated):
        await RefreshSession(uow, tokens, sessions)(before.refresh_token)
    after = await log_in(Credentials("ann@example.com", NEW))
    assert (await authenticate(after.access.token)).user_id == user.id


async def test_a_session_opened_before_a_reset_elsewhere_is_refused_even_if_its_store_never_heard(
    register: RegisterCustomer,
    log_in: LogIn,
    authenticate: Authenticate,
    uow: MemoryUnitOfWork,
    hasher: PlainPasswordHasher,
    clock: SteppingClock,
    tokens: JwtTokenIssuer,
    sessions: MemorySessionStore,
) -> None:
    """Another process reset it: this process's in-memory sessions were not told."""
    await register(Registration("ann@example.com", OLD))
    before = await log_in(Credentials("ann@example.com", OLD))
    elsewhere = ResetPassword(uow, hasher, MemorySessionStore(clock, timedelta(days=30)))

    await elsewhere("ann@example.com", NEW)

    assert await sessions.owner(before.access.session_id) is not None  # this store never heard
    with pytest.raises(NotAuthenticated):
        await authenticate(before.access.token)
    with pytest.raises(NotAuthenticated):
        await RefreshSession(uow, tokens, sessions)(before.refresh_token)


async def test_an_unknown_email_is_not_found_and_a_weak_password_is_refused(
    register: RegisterCustomer, reset: ResetPassword
) -> None:
    await register(Registration("ann@example.com", OLD))
    with pytest.raises(NotFound):
        await reset("bob@example.com", NEW)
    with pytest.raises(InvalidInput) as error:
        await reset("ann@example.com", "short")
    assert [e.field for e in error.value.errors] == ["password"]
