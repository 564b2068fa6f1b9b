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

from application.ports import IdempotencyScope, StoredResponse
from domain.catalog import Category, Product
from domain.jobs import Job
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


@dataclass
class MemoryState:
    users: dict[int, User] = field(default_factory=dict)
    categories: dict[int, Category] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
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
