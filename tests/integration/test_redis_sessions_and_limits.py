"""The Redis session store and rate limiter against a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from adapters.rate_limits import LimitsRateLimiter, parse_limits
from adapters.redis.client import RedisLink
from adapters.redis.sessions import RedisSessionStore
from application.auth.sessions import refresh_hash
from application.ports import RateLimit
from domain.errors import DependencyUnavailable, TooManyRequests
from tests.support.isolation import REDIS_KEY_PREFIX

pytestmark = pytest.mark.redis

UNREACHABLE = "redis://127.0.0.1:1/0"


@pytest.fixture
async def link(redis_url: str) -> AsyncIterator[RedisLink]:
    link = RedisLink(redis_url)
    yield link
    await link.close()


@pytest.fixture
def store(link: RedisLink) -> RedisSessionStore:
    assert link.client is not None
    return RedisSessionStore(link.client, timedelta(days=1), REDIS_KEY_PREFIX)


async def test_a_session_rotates_its_refresh_token(store: RedisSessionStore) -> None:
    await store.start(7, "sid-1", refresh_hash("first"))
    assert await store.owner("sid-1") == 7
    grant = await store.rotate(refresh_hash("first"), refresh_hash("second"))
    assert grant is not None and (grant.user_id, grant.session_id) == (7, "sid-1")
    grant = await store.rotate(refresh_hash("second"), refresh_hash("third"))
    assert grant is not None and grant.session_id == "sid-1"


async def test_replaying_a_rotated_token_ends_the_session(store: RedisSessionStore) -> None:
    await store.start(7, "sid-1", refresh_hash("first"))
    await store.rotate(refresh_hash("first"), refresh_hash("second"))
    assert await store.rotate(refresh_hash("first"), refresh_hash("x")) is None
    assert await store.owner("sid-1") is None
    assert await store.rotate(refresh_hash("second"), refresh_hash("y")) is None


async def test_a_rotation_sent_twice_gives_the_same_grant_and_keeps_the_session(
    store: RedisSessionStore,
) -> None:
    """The client sends a command again when its connection broke, which may be after Redis ran
    it: the repeat must not read as a replayed token (which ends the session)."""
    await store.start(7, "sid-1", refresh_hash("first"))
    first = await store.rotate(refresh_hash("first"), refresh_hash("second"))
    again = await store.rotate(refresh_hash("first"), refresh_hash("second"))
    assert first == again and first is not None and first.session_id == "sid-1"
    assert await store.owner("sid-1") == 7
    assert await store.rotate(refresh_hash("second"), refresh_hash("third")) is not None


async def test_a_pooled_connection_closed_by_redis_is_replaced_without_failing_the_call(
    store: RedisSessionStore, link: RedisLink, redis_url: str
) -> None:
    """An idle connection Redis (or a proxy) closed, here by `CLIENT KILL`: each call that takes
    it from the pool still gets its answer, through a new connection."""
    assert link.client is not None
    admin = Redis.from_url(redis_url)
    try:
        await store.start(7, "sid-1", refresh_hash("first"))

        async def kill_the_pooled_connection() -> None:
            assert link.client is not None
            killed = await admin.client_kill_filter(_id=str(await link.client.client_id()))
            assert killed == 1

        await kill_the_pooled_connection()
        assert await store.owner("sid-1") == 7
        await kill_the_pooled_connection()
        assert await store.rotate(refresh_hash("first"), refresh_hash("second")) is not None
        await kill_the_pooled_connection()
        await store.end("sid-1")
        assert await store.owner("sid-1") is None
    finally:
        await admin.aclose()


async def test_of_many_concurrent_rotations_with_one_token_exactly_one_wins(link: RedisLink) -> None:
    stores = []
    for _ in range(8):
        client = Redis.from_url(link.url or "")
        stores.append((client, RedisSessionStore(client, timedelta(days=1), REDIS_KEY_PREFIX)))
    try:
        await stores[0][1].start(7, "sid-1", refresh_hash("first"))
        grants = await asyncio.gather(
            *(s.rotate(refresh_hash("first"), refresh_hash(f"next-{i}")) for i, (_, s) in enumerate(stores))
        )
    finally:
        for client, _ in stores:
            await client.aclose()
    assert sum(grant is not None for grant in grants) == 1


async def test_ending_a_session_and_all_sessions_of_a_user(store: RedisSessionStore, link: RedisLink) -> None:
    await store.start(1, "a", refresh_hash("a"))
    await store.start(1, "b", refresh_hash("b"))
    await store.start(2, "c", refresh_hash("c"))
    await store.end("a")
    assert await store.owner("a") is None
    assert await store.owner("b") == 1
    await store.end_all(1)
    assert await store.owner("b") is None
    assert await store.rotate(refresh_hash("b"), refresh_hash("b2")) is None
    assert await store.owner("c") == 2
    assert link.client is not None
    assert await link.client.exists(f"{REDIS_KEY_PREFIX}user-sessions:1") == 0


async def test_keys_expire_with_the_refresh_token_lifetime(store: RedisSessionStore, link: RedisLink) -> None:
    await store.start(1, "a", refresh_hash("a"))
    assert link.client is not None
    for key in (
        f"{REDIS_KEY_PREFIX}session:a",
        f"{REDIS_KEY_PREFIX}refresh:{refresh_hash('a')}",
        f"{REDIS_KEY_PREFIX}user-sessions:1",
    ):
        assert 0 < await link.client.ttl(key) <= 86400


async def test_an_unreachable_redis_is_a_dependency_failure_never_a_valid_session() -> None:
    link = RedisLink(UNREACHABLE)
    assert link.client is not None
    store = RedisSessionStore(link.client, timedelta(days=1))
    try:
        with pytest.raises(DependencyUnavailable):
            await store.owner("any")
        with pytest.raises(DependencyUnavailable):
            await store.rotate(refresh_hash("a"), refresh_hash("b"))
        assert await link.state() == "unavailable"
    finally:
        await link.close()


async def test_the_redis_limiter_counts_across_clients_and_reports_when_to_retry(link: RedisLink) -> None:
    limits = parse_limits(
        {RateLimit.FAILED_LOGINS: "3/minute", RateLimit.REGISTRATIONS: "0", RateLimit.API_REQUESTS: "0"}
    )
    other = RedisLink(link.url)
    assert link.client is not None and other.client is not None and link.url is not None
    first = LimitsRateLimiter.on_redis(link.client, link.url, limits, REDIS_KEY_PREFIX)
    second = LimitsRateLimiter.on_redis(other.client, link.url, limits, REDIS_KEY_PREFIX)
    try:
        await first.count(RateLimit.FAILED_LOGINS, "ann|1.2.3.4")
        await second.count(RateLimit.FAILED_LOGINS, "ann|1.2.3.4")
        await first.ensure_open(RateLimit.FAILED_LOGINS, "ann|1.2.3.4")
        await second.count(RateLimit.FAILED_LOGINS, "ann|1.2.3.4")
        with pytest.raises(TooManyRequests) as refused:
            await first.ensure_open(RateLimit.FAILED_LOGINS, "ann|1.2.3.4")
        assert 1 <= refused.value.retry_after <= 60
        await first.ensure_open(RateLimit.FAILED_LOGINS, "bob|1.2.3.4")
        await first.hit(RateLimit.API_REQUESTS, "1.2.3.4")
    finally:
        await other.close()


async def test_parallel_login_slots_from_two_clients_never_exceed_the_limit(link: RedisLink) -> None:
    limits = parse_limits(
        {RateLimit.FAILED_LOGINS: "5/minute", RateLimit.REGISTRATIONS: "0", RateLimit.API_REQUESTS: "0"}
    )
    other = RedisLink(link.url)
    assert link.client is not None and other.client is not None and link.url is not None
    limiters = [
        LimitsRateLimiter.on_redis(link.client, link.url, limits, REDIS_KEY_PREFIX),
        LimitsRateLimiter.on_redis(other.client, link.url, limits, REDIS_KEY_PREFIX),
    ]
    try:
        results = await asyncio.gather(
            *(limiters[n % 2].hit(RateLimit.FAILED_LOGINS, "ann|1.2.3.4") for n in range(40)),
            return_exceptions=True,
        )
        assert results.count(None) == 5
        assert sum(isinstance(r, TooManyRequests) for r in results) == 35
        # A slot given back after a burst does not reopen the pair: the refused hits counted too.
        await limiters[0].give_back(RateLimit.FAILED_LOGINS, "ann|1.2.3.4")
        with pytest.raises(TooManyRequests) as refused:
            await limiters[1].hit(RateLimit.FAILED_LOGINS, "ann|1.2.3.4")
        assert 1 <= refused.value.retry_after <= 60
        # Below the limit a slot given back is free again, for every client.
        for _ in range(2):
            await limiters[0].hit(RateLimit.FAILED_LOGINS, "bob|1.2.3.4")
        await limiters[1].give_back(RateLimit.FAILED_LOGINS, "bob|1.2.3.4")
        for _ in range(4):
            await limiters[1].hit(RateLimit.FAILED_LOGINS, "bob|1.2.3.4")
        with pytest.raises(TooManyRequests):
            await limiters[0].hit(RateLimit.FAILED_LOGINS, "bob|1.2.3.4")
    finally:
        await other.close()


async def test_a_slot_given_back_after_its_window_passed_leaves_no_credit_in_redis(link: RedisLink) -> None:
    limits = parse_limits(
        {RateLimit.FAILED_LOGINS: "2/second", RateLimit.REGISTRATIONS: "0", RateLimit.API_REQUESTS: "0"}
    )
    assert link.client is not None and link.url is not None
    limiter = LimitsRateLimiter.on_redis(link.client, link.url, limits, REDIS_KEY_PREFIX)
    await limiter.hit(RateLimit.FAILED_LOGINS, "ann|1.2.3.4")
    await asyncio.sleep(1.1)
    await limiter.give_back(RateLimit.FAILED_LOGINS, "ann|1.2.3.4")
    await limiter.hit(RateLimit.FAILED_LOGINS, "ann|1.2.3.4")
    await limiter.hit(RateLimit.FAILED_LOGINS, "ann|1.2.3.4")
    with pytest.raises(TooManyRequests):
        await limiter.hit(RateLimit.FAILED_LOGINS, "ann|1.2.3.4")


async def test_an_unreachable_limit_store_is_a_dependency_failure() -> None:
    link = RedisLink(UNREACHABLE)
    assert link.client is not None and link.url is not None
    limits = parse_limits(dict.fromkeys(RateLimit, "5/minute"))
    limiter = LimitsRateLimiter.on_redis(link.client, link.url, limits, REDIS_KEY_PREFIX)
    try:
        with pytest.raises(DependencyUnavailable):
            await limiter.hit(RateLimit.API_REQUESTS, "1.2.3.4")
    finally:
        await link.close()
