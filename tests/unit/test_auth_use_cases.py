from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from adapters.memory.sessions import MemorySessionStore
from adapters.security.tokens import JwtTokenIssuer
from application.auth.accounts import AccountsInUnitOfWork
from application.auth.authenticate import Authenticate
from application.auth.bootstrap_admin import EnsureAdmin
from application.auth.current_user import GetCurrentUser
from application.auth.login import Credentials, LogIn
from application.auth.register import RegisterCustomer, Registration
from domain.errors import (
    AccountDisabled,
    AlreadyExists,
    DependencyUnavailable,
    InvalidInput,
    NotAuthenticated,
)
from domain.users import Role, User
from tests.fakes import MemoryUnitOfWork
from tests.unit.conftest import PlainPasswordHasher, SteppingClock

PASSWORD = "correct horse battery"


async def test_registering_stores_a_customer_with_a_lower_cased_email_and_only_a_hash(
    register: RegisterCustomer, uow: MemoryUnitOfWork
) -> None:
    user = await register(Registration("Ann@Example.COM", PASSWORD))
    assert user.email == "ann@example.com"
    assert user.role is Role.CUSTOMER
    assert user.is_active
    assert user.password_hash != PASSWORD
    async with uow:
        assert await uow.users.get_by_email("ann@example.com") == user


async def test_registering_the_same_email_in_another_case_is_already_exists(
    register: RegisterCustomer,
) -> None:
    await register(Registration("ann@example.com", PASSWORD))
    with pytest.raises(AlreadyExists):
        await register(Registration("ANN@example.com", "another password"))


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        ("not-an-email", PASSWORD, "email"),
        ("ann@example.com", "short", "password"),
        ("ann@example.com", "nul\x00in password", "password"),
    ],
)
async def test_registering_with_a_broken_rule_names_the_field_and_stores_nothing(
    register: RegisterCustomer, uow: MemoryUnitOfWork, email: str, password: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        await register(Registration(email, password))
    assert [e.field for e in error.value.errors] == [field]
    async with uow:
        assert await uow.users.list(None, 10, 0) == []


async def test_logging_in_issues_a_token_that_authenticates_the_user(
    register: RegisterCustomer,
    log_in: LogIn,
    uow: MemoryUnitOfWork,
    tokens: JwtTokenIssuer,
    authenticate: Authenticate,
) -> None:
    user = await register(Registration("ann@example.com", PASSWORD))
    issued = await log_in(Credentials("ANN@example.com", PASSWORD))
    actor = await authenticate(issued.access.token)
    assert actor.user_id == user.id
    assert actor.role is Role.CUSTOMER
    assert (await GetCurrentUser(AccountsInUnitOfWork(uow))(actor)) == user
    assert issued.access.expires_in == 600


async def test_an_unknown_email_and_a_wrong_password_fail_with_the_same_error(
    register: RegisterCustomer, log_in: LogIn, hasher: PlainPasswordHasher
) -> None:
    await register(Registration("ann@example.com", PASSWORD))
    with pytest.raises(NotAuthenticated) as unknown:
        await log_in(Credentials("bob@example.com", PASSWORD))
    with pytest.raises(NotAuthenticated) as wrong:
        await log_in(Credentials("ann@example.com", "wrong password"))
    assert type(unknown.value) is type(wrong.value)
    assert unknown.value.message == wrong.value.message
    assert hasher.burned == [PASSWORD], "an unknown email spends one dummy verification"


@pytest.mark.parametrize("email", ["not an email", "", "x" * 400])
async def test_a_malformed_email_at_login_is_just_bad_credentials(log_in: LogIn, email: str) -> None:
    with pytest.raises(NotAuthenticated):
        await log_in(Credentials(email, PASSWORD))


async def test_an_overlong_password_at_login_is_bad_credentials_not_a_crash(
    register: RegisterCustomer, log_in: LogIn
) -> None:
    await register(Registration("ann@example.com", PASSWORD))
    with pytest.raises(NotAuthenticated):
        await log_in(Credentials("ann@example.com", PASSWORD + "x" * 200))


async def test_a_deactivated_account_cannot_log_in_even_with_the_right_password(
    register: RegisterCustomer, log_in: LogIn, uow: MemoryUnitOfWork
) -> None:
    user = await register(Registration("ann@example.com", PASSWORD))
    async with uow:
        await uow.users.save(user.with_active(False))
        await uow.commit()
    with pytest.raises(AccountDisabled):
        await log_in(Credentials("ann@example.com", PASSWORD))


async def test_a_deactivated_account_is_refused_even_with_an_unexpired_token(
    register: RegisterCustomer,
    log_in: LogIn,
    uow: MemoryUnitOfWork,
    tokens: JwtTokenIssuer,
    authenticate: Authenticate,
) -> None:
    user = await register(Registration("ann@example.com", PASSWORD))
    issued = await log_in(Credentials("ann@example.com", PASSWORD))
    async with uow:
        await uow.users.save(user.with_active(False))
        await uow.commit()
    with pytest.raises(AccountDisabled):
        await authenticate(issued.access.token)


@pytest.mark.parametrize("token", [None, "", "not-a-jwt", "a.b.c"])
async def test_a_missing_or_garbage_token_is_not_authenticated(
    uow: MemoryUnitOfWork, tokens: JwtTokenIssuer, token: str | None, authenticate: Authenticate
) -> None:
    with pytest.raises(NotAuthenticated):
        await authenticate(token)


async def test_a_token_signed_with_another_key_is_not_authenticated(
    register: RegisterCustomer,
    uow: MemoryUnitOfWork,
    clock: SteppingClock,
    tokens: JwtTokenIssuer,
    authenticate: Authenticate,
) -> None:
    user = await register(Registration("ann@example.com", PASSWORD))
    forged = JwtTokenIssuer("another-secret-key-also-32-bytes!!", "HS256", timedelta(minutes=10), clock)
    with pytest.raises(NotAuthenticated):
        await authenticate(forged.issue_access(user, "sid").token)


async def test_an_expired_token_is_not_authenticated(
    register: RegisterCustomer, uow: MemoryUnitOfWork, clock: SteppingClock, sessions: MemorySessionStore
) -> None:
    user = await register(Registration("ann@example.com", PASSWORD))
    short = JwtTokenIssuer("unit-test-secret-key-of-32-bytes!!", "HS256", timedelta(seconds=-60), clock)
    with pytest.raises(NotAuthenticated, match="expired"):
        await Authenticate(AccountsInUnitOfWork(uow), short, sessions)(short.issue_access(user, "sid").token)


async def test_a_token_of_a_deleted_user_is_not_authenticated(
    uow: MemoryUnitOfWork,
    clock: SteppingClock,
    tokens: JwtTokenIssuer,
    register: RegisterCustomer,
    authenticate: Authenticate,
) -> None:
    user = await register(Registration("ann@example.com", PASSWORD))
    ghost = type(user)(999, "ghost@example.com", "x", Role.ADMIN, True, user.created_at)
    with pytest.raises(NotAuthenticated):
        await authenticate(tokens.issue_access(ghost, "sid").token)


async def test_ensuring_an_admin_creates_it_once_and_is_idempotent(
    uow: MemoryUnitOfWork, hasher: PlainPasswordHasher, clock: SteppingClock
) -> None:
    ensure = EnsureAdmin(uow, hasher, clock)
    first = await ensure("Boss@Shop.io", "admin-password")
    second = await ensure("boss@shop.io", "a different password")
    assert first == second
    assert first.role is Role.ADMIN
    assert first.email == "boss@shop.io"
    assert first.password_hash == "plain$admin-password", "an existing admin keeps its own password"
    async with uow:
        assert len(await uow.users.list(None, 10, 0)) == 1


async def test_ensuring_an_admin_promotes_and_reactivates_an_existing_customer(
    uow: MemoryUnitOfWork, hasher: PlainPasswordHasher, clock: SteppingClock, register: RegisterCustomer
) -> None:
    customer = await register(Registration("ann@example.com", PASSWORD))
    async with uow:
        await uow.users.save(customer.with_active(False))
        await uow.commit()
    promoted = await EnsureAdmin(uow, hasher, clock)("ann@example.com", None)
    assert promoted.id == customer.id
    assert promoted.role is Role.ADMIN
    assert promoted.is_active
    assert promoted.password_hash == customer.password_hash


async def test_ensuring_a_new_admin_needs_a_password_that_meets_the_policy(
    uow: MemoryUnitOfWork, hasher: PlainPasswordHasher, clock: SteppingClock
) -> None:
    ensure = EnsureAdmin(uow, hasher, clock)
    with pytest.raises(InvalidInput):
        await ensure("boss@shop.io", None)
    with pytest.raises(InvalidInput):
        await ensure("boss@shop.io", "short")
    async with uow:
        assert await uow.users.list(None, 10, 0) == []


class GatedSessions(MemorySessionStore):
    """Sessions whose lookups wait for `open`, or fail as an unreachable store does."""

    def __init__(self, store: MemorySessionStore, *, unreachable: bool = False) -> None:
        self._store = store
        self.unreachable = unreachable
        self.asked = asyncio.Event()
        self.open = asyncio.Event()

    async def owner(self, session_id: str) -> int | None:
        self.asked.set()
        await self.open.wait()
        if self.unreachable:
            raise DependencyUnavailable("the session store is unavailable, retry shortly")
        return await self._store.owner(session_id)


class GatedAccounts(AccountsInUnitOfWork):
    """The account lookup, which answers only once the session lookup has been asked for."""

    def __init__(self, uow: MemoryUnitOfWork, sessions: GatedSessions) -> None:
        super().__init__(uow)
        self._sessions = sessions

    async def user(self, user_id: int) -> User | None:
        await asyncio.wait_for(self._sessions.asked.wait(), 1)
        self._sessions.open.set()
        return await super().user(user_id)


@pytest.fixture
async def ann(register: RegisterCustomer, log_in: LogIn) -> tuple[User, str]:
    """A customer and an access token of hers."""
    user = await register(Registration("ann@example.com", PASSWORD))
    return user, (await log_in(Credentials("ann@example.com", PASSWORD))).access.token


def gated(
    uow: MemoryUnitOfWork, tokens: JwtTokenIssuer, sessions: MemorySessionStore, *, unreachable: bool = False
) -> Authenticate:
    """Authenticate whose account lookup answers only once the session lookup has started."""
    gate = GatedSessions(sessions, unreachable=unreachable)
    return Authenticate(GatedAccounts(uow, gate), tokens, gate)


async def test_the_user_and_the_session_are_looked_up_at_once(
    ann: tuple[User, str], uow: MemoryUnitOfWork, tokens: JwtTokenIssuer, sessions: MemorySessionStore
) -> None:
    """The account lookup answers only after the session lookup began: one wait, not two."""
    user, token = ann
    assert (await gated(uow, tokens, sessions)(token)).user_id == user.id


async def test_a_deactivated_account_is_refused_even_while_the_session_store_is_unreachable(
    ann: tuple[User, str], uow: MemoryUnitOfWork, tokens: JwtTokenIssuer, sessions: MemorySessionStore
) -> None:
    user, token = ann
    with pytest.raises(DependencyUnavailable):  # an active account: the store's failure is the answer
        await gated(uow, tokens, sessions, unreachable=True)(token)
    async with uow:
        await uow.users.save(user.with_active(False))
        await uow.commit()
    with pytest.raises(AccountDisabled):
        await gated(uow, tokens, sessions, unreachable=True)(token)
