"""Stock reservation and orders (round trip, conditional status write, pending counts): the contract."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from application.ports import NewCategory, NewProduct
from domain.money import Money
from domain.orders import Order, OrderLine, OrderStatus
from domain.users import Role
from tests.contracts.repositories.storage import Storage

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.fixture
async def seeded(storage: Storage) -> dict[str, int]:
    async with storage.unit_of_work() as uow:
        user = await uow.users.add("ann@example.com", "hash", Role.CUSTOMER, NOW)
        category = await uow.categories.add(NewCategory("Tea", "tea"), NOW)
        tracked = await uow.products.add(NewProduct("Green", "", 14990, "RUB", category.id, 3), NOW)
        untracked = await uow.products.add(NewProduct("Mug", "", 100, "RUB", category.id, None), NOW)
        await uow.commit()
    return {"user": user.id, "tracked": tracked.id, "untracked": untracked.id}


async def test_reserving_takes_units_only_while_enough_are_left(
    storage: Storage, seeded: dict[str, int]
) -> None:
    async with storage.unit_of_work() as uow:
        assert await uow.stock.reserve({seeded["tracked"]: 2, seeded["untracked"]: 1000}) == {}
        assert await uow.stock.reserve({seeded["tracked"]: 2}) == {seeded["tracked"]: 1}
        await uow.commit()
    async with storage.unit_of_work() as uow:
        tracked = await uow.products.get(seeded["tracked"])
        untracked = await uow.products.get(seeded["untracked"])
        assert tracked is not None and tracked.stock == 1
        assert untracked is not None and untracked.stock is None
        await uow.stock.release({seeded["tracked"]: 2, seeded["untracked"]: 5})
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert (await uow.products.get(seeded["tracked"])).stock == 3  # type: ignore[union-attr]


async def test_orders_round_trip_with_lines_and_a_conditional_status_write(
    storage: Storage, seeded: dict[str, int]
) -> None:
    lines = [OrderLine(seeded["untracked"], "Mug", 1000, Money(9_999_999_999, "RUB")) for _ in range(1)]
    lines.append(OrderLine(seeded["tracked"], "Green", 1, Money(14990, "RUB")))
    async with storage.unit_of_work() as uow:
        stored = await uow.orders.add(Order.place(seeded["user"], lines, "RUB", NOW))
        await uow.commit()
    assert [line.product_id for line in stored.lines] == [seeded["untracked"], seeded["tracked"]]
    assert stored.total == Money(9_999_999_999 * 1000 + 14990, "RUB")
    async with storage.unit_of_work() as uow:
        loaded = await uow.orders.get(stored.id, for_update=True)
        assert loaded == stored
        paid = stored.mark_paid(NOW + timedelta(seconds=1))
        assert await uow.orders.save_status(paid, expected=OrderStatus.PENDING)
        assert not await uow.orders.save_status(stored.cancel(NOW), expected=OrderStatus.PENDING)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert (await uow.orders.get(stored.id)) == paid
        assert await uow.orders.list_for_user(seeded["user"], OrderStatus.PAID, 10, 0) == [paid]
        assert await uow.orders.list_for_user(seeded["user"], OrderStatus.PENDING, 10, 0) == []
        assert await uow.orders.pending_since(NOW + timedelta(days=1), 10) == []


async def test_pending_orders_of_a_placing_user_count_only_theirs_and_stop_at_the_bound(
    storage: Storage, seeded: dict[str, int]
) -> None:
    line = OrderLine(seeded["untracked"], "Mug", 1, Money(100, "RUB"))
    async with storage.unit_of_work() as uow:
        other = await uow.users.add("bob@example.com", "hash", Role.CUSTOMER, NOW)
        for _ in range(3):
            await uow.orders.add(Order.place(seeded["user"], [line], "RUB", NOW))
        paid = await uow.orders.add(Order.place(seeded["user"], [line], "RUB", NOW))
        assert await uow.orders.save_status(paid.mark_paid(NOW), OrderStatus.PENDING)
        await uow.orders.add(Order.place(other.id, [line], "RUB", NOW))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.orders.pending_of_placing_user(seeded["user"], 10) == 3
        assert await uow.orders.pending_of_placing_user(seeded["user"], 2) == 2
        assert await uow.orders.pending_of_placing_user(other.id, 10) == 1
        assert await uow.orders.pending_of_placing_user(other.id + 1, 10) == 0


async def test_placements_by_one_user_take_turns_on_the_pending_count(
    storage: Storage, seeded: dict[str, int]
) -> None:
    """The second transaction's count waits for the first to end, and then sees its order."""
    line = OrderLine(seeded["untracked"], "Mug", 1, Money(100, "RUB"))
    first_counted = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> int:
        async with storage.unit_of_work() as uow:
            seen = await uow.orders.pending_of_placing_user(seeded["user"], 5)
            await uow.orders.add(Order.place(seeded["user"], [line], "RUB", NOW))
            first_counted.set()
            await release_first.wait()
            await uow.commit()
        return seen

    async def second() -> int:
        await first_counted.wait()
        async with storage.unit_of_work() as uow:
            return await uow.orders.pending_of_placing_user(seeded["user"], 5)

    first_task, second_task = asyncio.create_task(first()), asyncio.create_task(second())
    await first_counted.wait()
    await asyncio.sleep(0.3)
    assert not second_task.done()  # held behind the first placement
    release_first.set()
    assert await first_task == 0
    assert await second_task == 1
