"""In-memory twins of the repositories and the unit of work.

The use-case tests run on these (no database), so they keep the same rules as
the SQL adapters: uniqueness raises AlreadyExists, and a unit of work left
without `commit()` leaves no trace. Units of work run one at a time.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from adapters.memory.idempotency import MemoryIdempotencyRecords
from adapters.memory.orders import MemoryOrderRepository, MemoryStockRepository
from adapters.memory.payments import MemoryPaymentEventRepository, MemoryPaymentRepository
from application.ports import (
    CategoryRepository,
    NewCategory,
    NewProduct,
    ProductFilter,
    ProductRepository,
    ProductSort,
    UnitOfWork,
    UserRepository,
)
from domain.catalog import Category, Product
from domain.errors import AlreadyExists
from domain.money import Money
from domain.users import Role, User


@dataclass
class MemoryState:
    users: dict[int, User] = field(default_factory=dict)
    categories: dict[int, Category] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def next_id(self, name: str) -> int:
        self.sequences[name] = self.sequences.get(name, 0) + 1
        return self.sequences[name]


class MemoryDatabase:
    """The shared state plus the lock that serialises units of work."""

    def __init__(self) -> None:
        self.state = MemoryState()
        self.lock = asyncio.Lock()


class MemoryUserRepository(UserRepository):
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def add(self, email: str, password_hash: str, role: Role, now: datetime) -> User:
        if any(u.email == email for u in self._s.users.values()):
            raise AlreadyExists("email is already registered")
        user = User(self._s.next_id("users"), email, password_hash, role, True, now)
        self._s.users[user.id] = user
        return user

    async def get(self, user_id: int) -> User | None:
        return self._s.users.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        return next((u for u in self._s.users.values() if u.email == email), None)

    async def save(self, user: User) -> None:
        self._s.users[user.id] = user

    async def list(self, email: str | None, limit: int, offset: int) -> list[User]:
        users = sorted(self._s.users.values(), key=lambda u: u.id)
        if email is not None:
            users = [u for u in users if u.email == email]
        return users[offset : offset + limit]


class MemoryCategoryRepository(CategoryRepository):
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def _check_unique(self, name: str, slug: str, own_id: int | None) -> None:
        for other in self._s.categories.values():
            if other.id == own_id:
                continue
            if other.name == name:
                raise AlreadyExists(f"category name '{name}' is taken")
            if other.slug == slug:
                raise AlreadyExists(f"category slug '{slug}' is taken")

    async def add(self, new: NewCategory, now: datetime) -> Category:
        self._check_unique(new.name, new.slug, None)
        category = Category(self._s.next_id("categories"), new.name, new.slug, True, now, now)
        self._s.categories[category.id] = category
        return category

    async def get(self, category_id: int) -> Category | None:
        return self._s.categories.get(category_id)

    async def get_by_slug(self, slug: str) -> Category | None:
        return next((c for c in self._s.categories.values() if c.slug == slug), None)

    async def save(self, category: Category) -> None:
        self._check_unique(category.name, category.slug, category.id)
        self._s.categories[category.id] = category

    async def list(self, only_active: bool, limit: int, offset: int) -> list[Category]:
        found = sorted(self._s.categories.values(), key=lambda c: c.id)
        if only_active:
            found = [c for c in found if c.is_active]
        return found[offset : offset + limit]


class MemoryProductRepository(ProductRepository):
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def _check_unique(self, name: str, own_id: int | None) -> None:
        if any(p.name == name and p.id != own_id for p in self._s.products.values()):
            raise AlreadyExists(f"product name '{name}' is taken")

    async def add(self, new: NewProduct, now: datetime) -> Product:
        self._check_unique(new.name, None)
        product = Product(
            id=self._s.next_id("products"),
            name=new.name,
            description=new.description,
            price=Money(new.price_minor, new.currency),
            category_id=new.category_id,
            stock=new.stock,
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        self._s.products[product.id] = product
        return product

    async def get(self, product_id: int) -> Product | None:
        return self._s.products.get(product_id)

    async def save(self, product: Product) -> None:
        self._check_unique(product.name, product.id)
        self._s.products[product.id] = product

    async def list(self, criteria: ProductFilter) -> list[Product]:
        found = list(self._s.products.values())
        if criteria.category_id is not None:
            found = [p for p in found if p.category_id == criteria.category_id]
        if criteria.only_active:
            active = {c.id for c in self._s.categories.values() if c.is_active}
            found = [p for p in found if p.is_active and p.category_id in active]
        if criteria.query:
            needle = criteria.query.lower()
            found = [p for p in found if needle in p.name.lower()]
        if criteria.min_price is not None:
            found = [p for p in found if p.price.amount >= criteria.min_price]
        if criteria.max_price is not None:
            found = [p for p in found if p.price.amount <= criteria.max_price]
        keys = {
            ProductSort.ID: lambda p: (p.id,),
            ProductSort.PRICE: lambda p: (p.price.minor, p.id),
            ProductSort.PRICE_DESC: lambda p: (-p.price.minor, p.id),
            ProductSort.NAME: lambda p: (p.name, p.id),
            ProductSort.NEWEST: lambda p: (-p.created_at.timestamp(), -p.id),
        }
        found.sort(key=keys[criteria.sort])
        return found[criteria.offset : criteria.offset + criteria.limit]


class MemoryUnitOfWork(UnitOfWork):
    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db
        self._snapshot: MemoryState | None = None

    async def __aenter__(self) -> Self:
        await self._db.lock.acquire()
        self._snapshot = copy.deepcopy(self._db.state)
        state = self._db.state
        self.users = MemoryUserRepository(state)
        self.categories = MemoryCategoryRepository(state)
        self.products = MemoryProductRepository(state)
        self.orders = MemoryOrderRepository(state)
        self.stock = MemoryStockRepository(state)
        self.payments = MemoryPaymentRepository(state)
        self.payment_events = MemoryPaymentEventRepository(state)
        self.idempotency = MemoryIdempotencyRecords(state)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._snapshot is not None:
                self._db.state.__dict__.update(self._snapshot.__dict__)
        finally:
            self._snapshot = None
            self._db.lock.release()

    async def commit(self) -> None:
        self._snapshot = copy.deepcopy(self._db.state)
