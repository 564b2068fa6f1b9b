"""The catalog's repositories, with what they take: new entities and the product filter."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from domain.catalog import Category, Product


@dataclass(frozen=True, slots=True)
class NewCategory:
    name: str
    slug: str


@dataclass(frozen=True, slots=True)
class NewProduct:
    name: str
    description: str
    price_minor: int
    currency: str
    category_id: int
    stock: int | None


class ProductSort(StrEnum):
    ID = "id"
    PRICE = "price"
    PRICE_DESC = "-price"
    NAME = "name"
    NEWEST = "-created_at"


@dataclass(frozen=True, slots=True)
class ProductFilter:
    category_id: int | None = None
    only_active: bool = False
    query: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    sort: ProductSort = ProductSort.ID
    limit: int = 50
    offset: int = 0


# Repository ports are alike by shape (add, get, find, save, list): one Protocol per
# resource, each method with its own contract.
class CategoryRepository(Protocol):
    @abstractmethod
    async def add(self, new: NewCategory, now: datetime) -> Category:
        """Insert; AlreadyExists naming the taken field."""

    @abstractmethod
    async def get(self, category_id: int) -> Category | None: ...

    @abstractmethod
    async def get_by_slug(self, slug: str) -> Category | None: ...

    @abstractmethod
    async def save(self, category: Category) -> None:
        """Update; AlreadyExists if the new name or slug is taken."""

    @abstractmethod
    async def list(self, only_active: bool, limit: int, offset: int) -> list[Category]: ...


class ProductRepository(Protocol):
    @abstractmethod
    async def add(self, new: NewProduct, now: datetime) -> Product:
        """Insert; AlreadyExists if the name is taken."""

    @abstractmethod
    async def get(self, product_id: int) -> Product | None: ...

    @abstractmethod
    async def save(self, product: Product) -> None:
        """Update; AlreadyExists if the new name is taken."""

    @abstractmethod
    async def list(self, criteria: ProductFilter) -> list[Product]: ...
