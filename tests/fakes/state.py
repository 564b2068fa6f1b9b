"""The in-memory database behind the fakes: typed tables, id sequences, one lock.

Every fake repository reads and writes one `MemoryState`; `MemoryDatabase` pairs it with
the lock that serialises units of work (and the idempotency store's calls), which is how
the fakes stand in for the row locks and transactions of SQL.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar

from application.ports import IdempotencyScope, StoredResponse
from domain.catalog import Category, Product
from domain.jobs import Job
from domain.order_events import OrderEvent
from domain.orders import Order
from domain.payments import Outcome, Payment
from domain.refunds import Refund
from domain.users import User


@dataclass
class IdempotencyRecord:
    """One key's row: held by the claim whose `token` it carries until answered or released."""

    fingerprint: str
    created_at: datetime
    started_at: datetime
    token: str | None
    response: StoredResponse | None = None
    resource_id: int | None = None


@dataclass(frozen=True, slots=True)
class PaymentEventRecord:
    id: int
    provider: str
    event_id: str
    payment_id: int
    outcome: Outcome


K = TypeVar("K")
R = TypeVar("R")


class VersionedTable(dict[K, R]):
    """A table whose rows carry a version bumped on every write, as the SQL triggers do
    (migration 0011): 1 when a row is first stored, one more each time it is stored again.
    Every way of writing a row goes through `__setitem__`, so no fake can forget it."""

    def __init__(self) -> None:
        super().__init__()
        self.versions: dict[K, int] = {}

    def __setitem__(self, key: K, row: R) -> None:
        super().__setitem__(key, row)
        self.versions[key] = self.versions.get(key, 0) + 1

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, row in dict(*args, **kwargs).items():
            self[key] = row

    def __deepcopy__(self, memo: dict[int, Any]) -> VersionedTable[K, R]:
        """A snapshot as it is: rows copied without counting as writes."""
        twin: VersionedTable[K, R] = VersionedTable()
        dict.update(twin, copy.deepcopy(dict(self), memo))
        twin.versions = dict(self.versions)
        return twin

    def setdefault(self, key: K, default: R) -> R:
        if key not in self:
            self[key] = default
        return self[key]


@dataclass
class MemoryState:
    users: dict[int, User] = field(default_factory=dict)
    categories: VersionedTable[int, Category] = field(default_factory=VersionedTable)
    products: VersionedTable[int, Product] = field(default_factory=VersionedTable)
    orders: dict[int, Order] = field(default_factory=dict)
    order_events: dict[int, OrderEvent] = field(default_factory=dict)
    payments: dict[int, Payment] = field(default_factory=dict)
    payment_events: dict[tuple[str, str], PaymentEventRecord] = field(default_factory=dict)
    idempotency: dict[IdempotencyScope, IdempotencyRecord] = field(default_factory=dict)
    refunds: dict[int, Refund] = field(default_factory=dict)
    jobs: dict[int, Job] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)

    def next_id(self, name: str) -> int:
        self.sequences[name] = self.sequences.get(name, 0) + 1
        return self.sequences[name]

    def snapshot(self) -> MemoryState:
        return copy.deepcopy(self)

    def restore(self, snapshot: MemoryState) -> None:
        """Put every table back as it was in `snapshot` (in place: repositories keep this object)."""
        for table in fields(self):
            setattr(self, table.name, getattr(snapshot, table.name))


class MemoryDatabase:
    """The shared state plus the lock that serialises units of work."""

    def __init__(self) -> None:
        self.state = MemoryState()
        self.lock = asyncio.Lock()
