"""The idempotency store (claim, complete, abandon, purge, races) and its records: the contract."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from application.ports import (
    LEASE,
    RETENTION,
    ClaimOutcome,
    IdempotencyScope,
    NewCategory,
    NewProduct,
    StoredResponse,
)
from domain.users import Role
from tests.contracts.repositories.storage import Storage

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.fixture
async def seeded(storage: Storage) -> dict[str, int]:
    async with storage.unit_of_work() as uow:
        user = await uow.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
        category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
        tracked = await uow.products.add(NewProduct("Green", "", 14990, "RUB", category.id, 3), NOW)
        await uow.commit()
    return {"user": user.id, "tracked": tracked.id}


async def test_the_idempotency_store_decides_start_replay_mismatch_and_in_progress(
    storage: Storage, seeded: dict[str, int]
) -> None:
    store = storage.idempotency
    scope = IdempotencyScope(seeded["user"], "POST /api/v1/orders", "k")
    assert (await store.claim(scope, "a", NOW)).outcome is ClaimOutcome.STARTED
    assert (await store.claim(scope, "a", NOW)).outcome is ClaimOutcome.IN_PROGRESS
    assert (await store.claim(scope, "b", NOW)).outcome is ClaimOutcome.MISMATCH
    taken = await store.claim(scope, "a", NOW + LEASE)
    assert taken.outcome is ClaimOutcome.STARTED and taken.lease is not None
    await store.complete(taken.lease, StoredResponse(201, b'{"id":1}', "application/json"))
    replay = await store.claim(scope, "a", NOW + LEASE)
    assert replay.outcome is ClaimOutcome.REPLAY
    assert replay.response == StoredResponse(201, b'{"id":1}', "application/json")
    expired = await store.claim(scope, "b", NOW + RETENTION)
    assert expired.outcome is ClaimOutcome.STARTED and expired.lease is not None
    await store.abandon(expired.lease)
    assert (await store.claim(scope, "c", NOW + RETENTION)).outcome is ClaimOutcome.STARTED
    assert await store.purge(NOW + RETENTION + timedelta(seconds=1)) == 1


async def test_concurrent_claims_of_one_key_start_exactly_once(
    storage: Storage, seeded: dict[str, int]
) -> None:
    store = storage.idempotency
    scope = IdempotencyScope(seeded["user"], "POST /api/v1/orders", "race")
    claims = await asyncio.gather(*[store.claim(scope, "a", NOW) for _ in range(10)])
    assert sorted(c.outcome for c in claims) == [ClaimOutcome.IN_PROGRESS] * 9 + [ClaimOutcome.STARTED]


async def test_a_stale_claim_is_taken_over_by_exactly_one_retry(
    storage: Storage, seeded: dict[str, int]
) -> None:
    store = storage.idempotency
    scope = IdempotencyScope(seeded["user"], "POST /api/v1/orders", "stale")
    await store.claim(scope, "a", NOW)
    later = NOW + LEASE + timedelta(seconds=1)
    claims = await asyncio.gather(*[store.claim(scope, "a", later) for _ in range(6)])
    assert sorted(c.outcome for c in claims) == [ClaimOutcome.IN_PROGRESS] * 5 + [ClaimOutcome.STARTED]
