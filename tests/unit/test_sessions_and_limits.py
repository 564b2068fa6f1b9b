"""Sessions, logout, deactivation and abuse limits, on the in-memory adapters."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from adapters.memory.sessions import MemorySessionStore
from adapters.rate_limits import LimitsRateLimiter
from adapters.security.tokens import JwtTokenIssuer
from application.auth.authenticate import Authenticate
from application.auth.login import Credentials, LogIn
from application.auth.logout import LogOut
from application.auth.refresh import RefreshSession
from application.auth.register import RegisterCustomer, Registration
from application.auth.sessions import refresh_hash
from application.auth.users import ActivateUser, DeactivateUser, ListUsers, UserQuery
from application.ports import RateLimit
from domain.errors import (
    AccessDenied,
    AccountDisabled,
    Conflict,
    NotAuthenticated,
    NotFound,
    ServiceBusy,
    TooManyRequests,
)
from domain.users import Actor, Role, User
from tests.fakes import MemoryUnitOfWork
from tests.unit.conftest import PlainPasswordHasher, SteppingClock, limiter_with

PASSWORD = "correct horse battery"
IP = "203.0.113.7"


@pytest.fixture
def limiter() -> LimitsRateLimiter:
    return limiter_with(login="5/minute", register="3/hour")


@pytest.fixture
def refresh(uow: MemoryUnitOfWork, tokens: JwtTokenIssuer, sessions: MemorySessionStore) -> RefreshSession:
    return RefreshSession(uow, tokens, sessions)


async def customer(register: RegisterCustomer, email: str = "ann@example.com") -> User:
    return await register(Registration(email, PASSWORD, client_ip=f"198.51.100.{len(email)}"))


async def admin_actor(uow: MemoryUnitOfWork, clock: SteppingClock) -> Actor:
    async with uow:
        admin = await uow.users.add("boss@shop.io", "plain$x", Role.ADMIN, clock.now())
        await uow.commit()
    return Actor(admin.id, Role.ADMIN)


# ---- sessions ------------------------------------------------------------------


async def test_login_gives_an_access_token_and_a_refresh_token_of_one_session(
    register: RegisterCustomer, log_in: LogIn, authenticate: Authenticate, sessions: MemorySessionStore
) -> None:
    user = await customer(register)
    issued = await log_in(Credentials("ann@example.com", PASSWORD, IP))
    actor = await authenticate(issued.access.token)
    assert actor.user_id == user.id
    assert actor.session_id == issued.access.session_id
    assert issued.refresh_token not in repr(sessions.__dict__), "only the hash is stored"


async def test_a_refresh_gives_a_new_pair_and_the_old_refresh_token_stops_working(
    register: RegisterCustomer, log_in: LogIn, refresh: RefreshSession, authenticate: Authenticate
) -> None:
    await customer(register)
    first = await log_in(Credentials("ann@example.com", PASSWORD, IP))
    second = await refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert second.access.session_id == first.access.session_id
    assert (await authenticate(second.access.token)).session_id == first.access.session_id
    third = await refresh(second.refresh_token)
    assert third.refresh_token not in (first.refresh_token, second.refresh_token)


async def test_reusing_a_rotated_refresh_token_ends_the_whole_session(
    register: RegisterCustomer, log_in: LogIn, refresh: RefreshSession, authenticate: Authenticate
) -> None:
    await customer(register)
    first = await log_in(Credentials("ann@example.com", PASSWORD, IP))
    second = await refresh(first.refresh_token)
    with pytest.raises(NotAuthenticated):
        await refresh(first.refresh_token)
    with pytest.raises(NotAuthenticated):
        await refresh(second.refresh_token)
    with pytest.raises(NotAuthenticated):
        await authenticate(second.access.token)


async def test_two_concurrent_refreshes_with_one_token_never_both_succeed(
    register: RegisterCustomer, log_in: LogIn, refresh: RefreshSession
) -> None:
    await customer(register)
    issued = await log_in(Credentials("ann@example.com", PASSWORD, IP))
    results = await asyncio.gather(*(refresh(issued.refresh_token) for _ in range(5)), return_exceptions=True)
    assert sum(not isinstance(result, BaseException) for result in results) == 1
    assert all(isinstance(r, NotAuthenticated) for r in results if isinstance(r, BaseException))


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 600, "\udcff"])
async def test_an_unknown_refresh_token_is_not_authenticated(refresh: RefreshSession, token: str) -> None:
    with pytest.raises(NotAuthenticated):
        await refresh(token)


async def test_logout_ends_the_session_for_its_access_and_refresh_tokens_only(
    register: RegisterCustomer,
    log_in: LogIn,
    refresh: RefreshSession,
    authenticate: Authenticate,
    sessions: MemorySessionStore,
) -> None:
    await customer(register)
    phone = await log_in(Credentials("ann@example.com", PASSWORD, IP))
    laptop = await log_in(Credentials("ann@example.com", PASSWORD, IP))
    await LogOut(sessions)(await authenticate(phone.access.token))
    with pytest.raises(NotAuthenticated):
        await authenticate(phone.access.token)
    with pytest.raises(NotAuthenticated):
        await refresh(phone.refresh_token)
    assert (await authenticate(laptop.access.token)).session_id == laptop.access.session_id
    await refresh(laptop.refresh_token)


async def test_a_refresh_token_expires_with_its_session(
    register: RegisterCustomer,
    log_in: LogIn,
    uow: MemoryUnitOfWork,
    tokens: JwtTokenIssuer,
    clock: SteppingClock,
) -> None:
    await customer(register)
    short = MemorySessionStore(clock, timedelta(milliseconds=5))
    issued = await LogIn(uow, PlainPasswordHasher(), tokens, short, limiter_with())(
        Credentials("ann@example.com", PASSWORD, IP)
    )
    for _ in range(10):
        clock.now()
    with pytest.raises(NotAuthenticated):
        await RefreshSession(uow, tokens, short)(issued.refresh_token)


# ---- deactivation --------------------------------------------------------------


async def test_deactivation_ends_every_session_for_good(
    register: RegisterCustomer,
    log_in: LogIn,
    refresh: RefreshSession,
    authenticate: Authenticate,
    uow: MemoryUnitOfWork,
    clock: SteppingClock,
    sessions: MemorySessionStore,
) -> None:
    user = await customer(register)
    admin = await admin_actor(uow, clock)
    issued = await log_in(Credentials("ann@example.com", PASSWORD, IP))
    deactivated = await DeactivateUser(uow, sessions)(admin, user.id)
    assert not deactivated.is_active
    with pytest.raises(AccountDisabled):
        await authenticate(issued.access.token)
    with pytest.raises(AccountDisabled):
        await log_in(Credentials("ann@example.com", PASSWORD, IP))
    with pytest.raises(NotAuthenticated):
        await refresh(issued.refresh_token)
    assert (await ActivateUser(uow)(admin, user.id)).is_active
    with pytest.raises(NotAuthenticated):
        await authenticate(issued.access.token)
    with pytest.raises(NotAuthenticated):
        await refresh(issued.refresh_token)
    fresh = await log_in(Credentials("ann@example.com", PASSWORD, IP))
    assert (await authenticate(fresh.access.token)).user_id == user.id


async def test_a_login_that_races_a_deactivation_leaves_no_session_behind(
    register: RegisterCustomer,
    uow: MemoryUnitOfWork,
    tokens: JwtTokenIssuer,
    clock: SteppingClock,
    sessions: MemorySessionStore,
) -> None:
    await customer(register)

    class DeactivatingStore(MemorySessionStore):
        """Deactivates the account right after the session is written, before login re-reads it."""

        async def start(self, user_id: int, session_id: str, refresh_hash: str) -> None:
            await super().start(user_id, session_id, refresh_hash)
            async with uow:
                found = await uow.users.get(user_id)
                assert found is not None
                await uow.users.save(found.with_active(False))
                await uow.commit()
            self.started = session_id

    store = DeactivatingStore(clock, timedelta(days=1))
    with pytest.raises(AccountDisabled):
        await LogIn(uow, PlainPasswordHasher(), tokens, store, limiter_with())(
            Credentials("ann@example.com", PASSWORD, IP)
        )
    assert await store.owner(store.started) is None


async def test_an_admin_cannot_deactivate_themselves(
    uow: MemoryUnitOfWork, clock: SteppingClock, sessions: MemorySessionStore
) -> None:
    admin = await admin_actor(uow, clock)
    with pytest.raises(Conflict):
        await DeactivateUser(uow, sessions)(admin, admin.user_id)


async def test_only_admins_manage_users(
    register: RegisterCustomer, uow: MemoryUnitOfWork, sessions: MemorySessionStore
) -> None:
    user = await customer(register)
    other = await customer(register, "bob@example.com")
    actor = Actor(user.id, Role.CUSTOMER)
    with pytest.raises(AccessDenied):
        await DeactivateUser(uow, sessions)(actor, other.id)
    with pytest.raises(AccessDenied):
        await ActivateUser(uow)(actor, other.id)
    with pytest.raises(AccessDenied):
        await ListUsers(uow)(actor, UserQuery())


@pytest.mark.parametrize("user_id", [0, 999, 2**63, 2**80])
async def test_managing_an_unknown_user_is_not_found(
    uow: MemoryUnitOfWork, clock: SteppingClock, sessions: MemorySessionStore, user_id: int
) -> None:
    admin = await admin_actor(uow, clock)
    with pytest.raises(NotFound):
        await DeactivateUser(uow, sessions)(admin, user_id)
    with pytest.raises(NotFound):
        await ActivateUser(uow)(admin, user_id)


async def test_users_are_listed_by_id_and_filtered_by_exact_email_in_any_case(
    register: RegisterCustomer, uow: MemoryUnitOfWork, clock: SteppingClock
) -> None:
    admin = await admin_actor(uow, clock)
    ann = await customer(register, "ann@example.com")
    await customer(register, "annie@example.com")
    listed = await ListUsers(uow)(admin, UserQuery())
    assert [u.id for u in listed] == sorted(u.id for u in listed)
    assert len(listed) == 3
    assert await ListUsers(uow)(admin, UserQuery(email="ANN@Example.com")) == [ann]
    assert await ListUsers(uow)(admin, UserQuery(email=" ann@example.com")) == []
    assert await ListUsers(uow)(admin, UserQuery(email="ann")) == []
    assert len(await ListUsers(uow)(admin, UserQuery(limit=1, offset=1))) == 1


# ---- limits --------------------------------------------------------------------


async def test_past_five_failures_the_pair_is_refused_even_with_the_right_password(
    register: RegisterCustomer, log_in: LogIn
) -> None:
    await customer(register)
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            await log_in(Credentials("ann@example.com", "wrong password", IP))
    with pytest.raises(TooManyRequests) as refused:
        await log_in(Credentials("ann@example.com", PASSWORD, IP))
    assert 1 <= refused.value.retry_after <= 60
    await log_in(Credentials("ann@example.com", PASSWORD, "203.0.113.8"))


async def test_failures_for_unknown_emails_count_and_other_accounts_are_untouched(
    register: RegisterCustomer, log_in: LogIn
) -> None:
    await customer(register, "bob@example.com")
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            await log_in(Credentials("ghost@example.com", PASSWORD, IP))
    with pytest.raises(TooManyRequests):
        await log_in(Credentials("Ghost@Example.com", PASSWORD, IP))
    await log_in(Credentials("bob@example.com", PASSWORD, IP))


async def test_a_successful_login_does_not_reset_the_failure_count(
    register: RegisterCustomer, log_in: LogIn
) -> None:
    await customer(register)
    for _ in range(4):
        with pytest.raises(NotAuthenticated):
            await log_in(Credentials("ann@example.com", "wrong password", IP))
    await log_in(Credentials("ann@example.com", PASSWORD, IP))
    with pytest.raises(NotAuthenticated):
        await log_in(Credentials("ann@example.com", "wrong password", IP))
    with pytest.raises(TooManyRequests):
        await log_in(Credentials("ann@example.com", PASSWORD, IP))


class YieldingHasher(PlainPasswordHasher):
    """Yields to the event loop before answering, as the thread-pool hasher does."""

    def __init__(self, busy: bool = False) -> None:
        super().__init__()
        self.busy = busy

    async def verify(self, password: str, password_hash: str) -> bool:
        await asyncio.sleep(0.01)
        if self.busy:
            raise ServiceBusy("busy")
        return await super().verify(password, password_hash)

    async def burn(self, password: str) -> None:
        await asyncio.sleep(0.01)
        await super().burn(password)


@pytest.fixture
def yielding() -> YieldingHasher:
    return YieldingHasher()


@pytest.fixture
def slow_log_in(
    uow: MemoryUnitOfWork,
    yielding: YieldingHasher,
    tokens: JwtTokenIssuer,
    sessions: MemorySessionStore,
    limiter: LimitsRateLimiter,
) -> LogIn:
    return LogIn(uow, yielding, tokens, sessions, limiter)


@pytest.mark.parametrize("email", ["ann@example.com", "ghost@example.com"])
async def test_a_parallel_burst_of_guesses_gets_at_most_the_limit_of_failures(
    register: RegisterCustomer, slow_log_in: LogIn, email: str
) -> None:
    await customer(register)
    log_in = slow_log_in
    results = await asyncio.gather(
        *(log_in(Credentials(email, "wrong password", IP)) for _ in range(30)), return_exceptions=True
    )
    assert sum(isinstance(r, NotAuthenticated) for r in results) == 5
    assert sum(isinstance(r, TooManyRequests) for r in results) == 25
    with pytest.raises(TooManyRequests):
        await log_in(Credentials(email, PASSWORD, IP))


async def test_successes_in_a_burst_do_not_count_as_failures(
    register: RegisterCustomer, slow_log_in: LogIn
) -> None:
    await customer(register)
    log_in = slow_log_in
    results = await asyncio.gather(*(log_in(Credentials("ann@example.com", PASSWORD, IP)) for _ in range(5)))
    assert len(results) == 5
    for _ in range(5):
        await log_in(Credentials("ann@example.com", PASSWORD, IP))
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            await log_in(Credentials("ann@example.com", "wrong password", IP))
    with pytest.raises(TooManyRequests):
        await log_in(Credentials("ann@example.com", PASSWORD, IP))


async def test_a_login_refused_for_another_reason_is_not_a_failed_login(
    register: RegisterCustomer, slow_log_in: LogIn, yielding: YieldingHasher
) -> None:
    await customer(register)
    log_in = slow_log_in
    yielding.busy = True
    for _ in range(10):
        with pytest.raises(ServiceBusy):
            await log_in(Credentials("ann@example.com", "wrong password", IP))
    yielding.busy = False
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            await log_in(Credentials("ann@example.com", "wrong password", IP))
    with pytest.raises(TooManyRequests):
        await log_in(Credentials("ann@example.com", PASSWORD, IP))


async def test_a_slot_given_back_after_its_window_passed_leaves_no_credit() -> None:
    limiter = limiter_with(login="2/second")
    await limiter.hit(RateLimit.FAILED_LOGINS, IP)
    await asyncio.sleep(1.1)
    await limiter.give_back(RateLimit.FAILED_LOGINS, IP)
    await limiter.hit(RateLimit.FAILED_LOGINS, IP)
    await limiter.hit(RateLimit.FAILED_LOGINS, IP)
    with pytest.raises(TooManyRequests):
        await limiter.hit(RateLimit.FAILED_LOGINS, IP)


async def test_registrations_are_limited_per_address_whether_they_succeed_or_not(
    register: RegisterCustomer,
) -> None:
    await register(Registration("a@example.com", PASSWORD, IP))
    with pytest.raises(Conflict):
        await register(Registration("a@example.com", PASSWORD, IP))
    await register(Registration("b@example.com", PASSWORD, IP))
    with pytest.raises(TooManyRequests):
        await register(Registration("c@example.com", PASSWORD, IP))
    await register(Registration("c@example.com", PASSWORD, "203.0.113.8"))


async def test_a_limit_set_to_zero_is_off() -> None:
    limiter = limiter_with()
    for _ in range(100):
        await limiter.hit(RateLimit.API_REQUESTS, IP)
        await limiter.ensure_open(RateLimit.FAILED_LOGINS, IP)
        await limiter.count(RateLimit.FAILED_LOGINS, IP)
        await limiter.give_back(RateLimit.FAILED_LOGINS, IP)


async def test_a_limit_reopens_once_its_window_has_passed() -> None:
    limiter = limiter_with(api="2/second")
    await limiter.hit(RateLimit.API_REQUESTS, IP)
    await limiter.hit(RateLimit.API_REQUESTS, IP)
    with pytest.raises(TooManyRequests) as refused:
        await limiter.hit(RateLimit.API_REQUESTS, IP)
    assert refused.value.retry_after == 1
    await limiter.hit(RateLimit.API_REQUESTS, "another address")
    await asyncio.sleep(2.1)
    await limiter.hit(RateLimit.API_REQUESTS, IP)


# ---- the memory session store --------------------------------------------------


async def test_the_memory_store_ends_all_sessions_of_one_user_only(sessions: MemorySessionStore) -> None:
    await sessions.start(1, "s1", refresh_hash("a"))
    await sessions.start(1, "s2", refresh_hash("b"))
    await sessions.start(2, "s3", refresh_hash("c"))
    await sessions.end_all(1)
    assert await sessions.owner("s1") is None
    assert await sessions.owner("s2") is None
    assert await sessions.owner("s3") == 2
    assert await sessions.rotate(refresh_hash("b"), refresh_hash("d")) is None
    grant = await sessions.rotate(refresh_hash("c"), refresh_hash("e"))
    assert grant is not None and (grant.user_id, grant.session_id) == (2, "s3")
