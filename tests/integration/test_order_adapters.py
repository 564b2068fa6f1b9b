"""Order, stock and idempotency adapters against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from adapters.sql.catalog_reads import ReadPool
from adapters.sql.database import Database, create_engine
from adapters.sql.idempotency import SqlIdempotencyStore
from adapters.sql.order_reads import AsyncpgOrderReadModel
from adapters.sql.unit_of_work import SqlUnitOfWork
from application.orders.read_model import RepositoryOrderReadModel
from application.ports import (
    LEASE,
    RETENTION,
    ClaimOutcome,
    IdempotencyScope,
    NewCategory,
    NewProduct,
    StoredResponse,
)
from domain.money import Money
from domain.orders import Order, OrderLine, OrderStatus
from domain.users import Role

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.fixture
async def seeded(db: Database) -> dict[str, int]:
    async with SqlUnitOfWork(db) as uow:
        user = await uow.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
        category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
        tracked = await uow.products.add(NewProduct("Green", "", 14990, "RUB", category.id, 3), NOW)
        untracked = await uow.products.add(NewProduct("Mug", "", 100, "RUB", category.id, None), NOW)
        await uow.commit()
    return {"user": user.id, "tracked": tracked.id, "untracked": untracked.id}


async def test_reserving_takes_units_only_while_enough_are_left(db: Database, seeded: dict[str, int]) -> None:
    async with SqlUnitOfWork(db) as uow:
        assert await uow.stock.reserve({seeded["tracked"]: 2, seeded["untracked"]: 1000}) == {}
        assert await uow.stock.reserve({seeded["tracked"]: 2}) == {seeded["tracked"]: 1}
        await uow.commit()
    async with SqlUnitOfWork(db) as uow:
        tracked = await uow.products.get(seeded["tracked"])
        untracked = await uow.products.get(seeded["untracked"])
        assert tracked is not None and tracked.stock == 1
        assert untracked is not None and untracked.stock is None
        await uow.stock.release({seeded["tracked"]: 2, seeded["untracked"]: 5})
        await uow.commit()
    async with SqlUnitOfWork(db) as uow:
        assert (await uow.products.get(seeded["tracked"])).stock == 3  # type: ignore[union-attr]


async def test_orders_round_trip_with_lines_and_a_conditional_status_write(
    db: Database, seeded: dict[str, int]
) -> None:
    lines = [OrderLine(seeded["untracked"], "Mug", 1000, Money(9_999_999_999, "RUB")) for _ in range(1)]
    lines.append(OrderLine(seeded["tracked"], "Green", 1, Money(14990, "RUB")))
    async with SqlUnitOfWork(db) as uow:
        stored = await uow.orders.add(Order.place(seeded["user"], lines, "RUB", NOW))
        await uow.commit()
    assert [line.product_id for line in stored.lines] == [seeded["untracked"], seeded["tracked"]]
    assert stored.total == Money(9_999_999_999 * 1000 + 14990, "RUB")
    async with SqlUnitOfWork(db) as uow:
        loaded = await uow.orders.get(stored.id, for_update=True)
        assert loaded == stored
        paid = stored.mark_paid(NOW + timedelta(seconds=1))
        assert await uow.orders.save_status(paid, expected=OrderStatus.PENDING)
        assert not await uow.orders.save_status(stored.cancel(NOW), expected=OrderStatus.PENDING)
        await uow.commit()
    async with SqlUnitOfWork(db) as uow:
        assert (await uow.orders.get(stored.id)) == paid
        assert await uow.orders.list_for_user(seeded["user"], OrderStatus.PAID, 10, 0) == [paid]
        assert await uow.orders.list_for_user(seeded["user"], OrderStatus.PENDING, 10, 0) == []
        assert await uow.orders.pending_since(NOW + timedelta(days=1), 10) == []


async def test_the_idempotency_store_decides_start_replay_mismatch_and_in_progress(
    db: Database, seeded: dict[str, int]
) -> None:
    store = SqlIdempotencyStore(db)
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


async def test_concurrent_claims_of_one_key_start_exactly_once(db: Database, seeded: dict[str, int]) -> None:
    store = SqlIdempotencyStore(db)
    scope = IdempotencyScope(seeded["user"], "POST /api/v1/orders", "race")
    claims = await asyncio.gather(*[store.claim(scope, "a", NOW) for _ in range(10)])
    assert sorted(c.outcome for c in claims) == [ClaimOutcome.IN_PROGRESS] * 9 + [ClaimOutcome.STARTED]


async def test_a_stale_claim_is_taken_over_by_exactly_one_retry(db: Database, seeded: dict[str, int]) -> None:
    store = SqlIdempotencyStore(db)
    scope = IdempotencyScope(seeded["user"], "POST /api/v1/orders", "stale")
    await store.claim(scope, "a", NOW)
    later = NOW + LEASE + timedelta(seconds=1)
    claims = await asyncio.gather(*[store.claim(scope, "a", later) for _ in range(6)])
    assert sorted(c.outcome for c in claims) == [ClaimOutcome.IN_PROGRESS] * 5 + [ClaimOutcome.STARTED]


@pytest.mark.postgres
async def test_the_postgresql_order_history_shows_what_the_repository_holds(postgres_database: str) -> None:
    """Same views, same order (newest first, ties by id), same pages, same status filter."""
    db = Database(create_engine(postgres_database, pool_size=2))
    pool = ReadPool(postgres_database, 2)
    try:
        async with SqlUnitOfWork(db) as uow:
            ann = await uow.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
            bob = await uow.users.add("bob@example.com", "hash", Role.CUSTOMER, NOW)
            category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
            tea = await uow.products.add(NewProduct("Green", "", 14990, "RUB", category.id, None), NOW)
            mug = await uow.products.add(NewProduct("Mug «big»", "", 5, "RUB", category.id, None), NOW)
            for n in range(7):  # two orders share each timestamp: ties are broken by id
                when = NOW + timedelta(minutes=n // 2)
                lines = [OrderLine(mug.id, "Mug «big»", 1 + n, Money(5, "RUB"))]
                if n % 3:
                    lines.insert(0, OrderLine(tea.id, "Green", 1000, Money(9_999_999_999, "RUB")))
                order = await uow.orders.add(Order.place(ann.id, lines, "RUB", when))
                if n % 2:
                    await uow.orders.save_status(order.mark_paid(when), expected=OrderStatus.PENDING)
            await uow.orders.add(
                Order.place(bob.id, [OrderLine(tea.id, "Green", 1, Money(14990, "RUB"))], "RUB", NOW)
            )
            await uow.commit()

        fast, reference = AsyncpgOrderReadModel(pool), RepositoryOrderReadModel(SqlUnitOfWork(db))
        for status in (None, OrderStatus.PAID, OrderStatus.PENDING, OrderStatus.SHIPPED):
            for limit, offset in ((100, 0), (3, 0), (3, 3), (3, 6), (2, 50)):
                shown = await fast.orders_of(ann.id, status, limit, offset)
                expected = await reference.orders_of(ann.id, status, limit, offset)
                assert _json(shown) == _json(expected), (status, limit, offset)
        everything = _json(await fast.orders_of(ann.id, None, 100, 0))
        assert len(everything) == 7 and {o["user_id"] for o in everything} == {ann.id}
        assert [o["id"] for o in everything] == sorted((o["id"] for o in everything), reverse=True)
        assert everything[1]["items"][0]["price"] == "99999999.99"  # the sixth order, tea first
        assert everything[-1]["total_price"] == "0.05"  # the first: one mug
    finally:
        await pool.close()
        await db.dispose()


def _json(views: object) -> list[dict[str, Any]]:
    decoded: list[dict[str, Any]] = msgspec.json.decode(msgspec.json.encode(views))
    return decoded


async def test_pending_orders_of_a_placing_user_count_only_theirs_and_stop_at_the_bound(
    db: Database, seeded: dict[str, int]
) -> None:
    line = OrderLine(seeded["untracked"], "Mug", 1, Money(100, "RUB"))
    async with SqlUnitOfWork(db) as uow:
        other = await uow.users.add("bob@example.com", "hash", Role.CUSTOMER, NOW)
        for _ in range(3):
            await uow.orders.add(Order.place(seeded["user"], [line], "RUB", NOW))
        paid = await uow.orders.add(Order.place(seeded["user"], [line], "RUB", NOW))
        assert await uow.orders.save_status(paid.mark_paid(NOW), OrderStatus.PENDING)
        await uow.orders.add(Order.place(other.id, [line], "RUB", NOW))
        await uow.commit()
    async with SqlUnitOfWork(db) as uow:
        assert await uow.orders.pending_of_placing_user(seeded["user"], 10) == 3
        assert await uow.orders.pending_of_placing_user(seeded["user"], 2) == 2
        assert await uow.orders.pending_of_placing_user(other.id, 10) == 1
        assert await uow.orders.pending_of_placing_user(other.id + 1, 10) == 0


async def test_placements_by_one_user_take_turns_on_the_pending_count(
    db: Database, seeded: dict[str, int]
) -> None:
    """The second transaction's count waits for the first to end, and then sees its order."""
    line = OrderLine(seeded["untracked"], "Mug", 1, Money(100, "RUB"))
    first_counted = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> int:
        async with SqlUnitOfWork(db) as uow:
            seen = await uow.orders.pending_of_placing_user(seeded["user"], 5)
            await uow.orders.add(Order.place(seeded["user"], [line], "RUB", NOW))
            first_counted.set()
            await release_first.wait()
            await uow.commit()
        return seen

    async def second() -> int:
        await first_counted.wait()
        async with SqlUnitOfWork(db) as uow:
            return await uow.orders.pending_of_placing_user(seeded["user"], 5)

    first_task, second_task = asyncio.create_task(first()), asyncio.create_task(second())
    await first_counted.wait()
    await asyncio.sleep(0.3)
    assert not second_task.done()  # held behind the first placement
    release_first.set()
    assert await first_task == 0
    assert await second_task == 1
