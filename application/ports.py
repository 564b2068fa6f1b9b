"""Ports: what the use cases need from the outside world, and nothing about how."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self

from domain.catalog import Category, Product
from domain.users import Role, User


class Clock(Protocol):
    @abstractmethod
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""


class PasswordHasher(Protocol):
    @abstractmethod
    async def hash(self, password: str) -> str: ...

    @abstractmethod
    async def verify(self, password: str, password_hash: str) -> bool: ...

    @abstractmethod
    async def burn(self, password: str) -> None:
        """Spend the time of one verification, for unknown emails (no timing oracle)."""


@dataclass(frozen=True, slots=True)
class AccessToken:
    token: str
    session_id: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    role: Role
    session_id: str
    token_id: str
    expires_at: datetime


class TokenIssuer(Protocol):
    @abstractmethod
    def issue_access(self, user: User, session_id: str) -> AccessToken: ...

    @abstractmethod
    def verify_access(self, token: str) -> AccessClaims:
        """Claims of a valid, unexpired token; NotAuthenticated otherwise."""


# ---- repositories -------------------------------------------------------------


class UserRepository(Protocol):
    @abstractmethod
    async def add(self, email: str, password_hash: str, role: Role, now: datetime) -> User:
        """Insert; AlreadyExists if the email is taken."""

    @abstractmethod
    async def get(self, user_id: int) -> User | None: ...

    @abstractmethod
    async def get_by_email(self, email: str) -> User | None: ...

    @abstractmethod
    async def save(self, user: User) -> None: ...

    @abstractmethod
    async def list(self, email: str | None, limit: int, offset: int) -> list[User]: ...


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


class UnitOfWork(Protocol):
    """One database transaction. Leaving without `commit()` rolls everything back."""

    users: UserRepository
    categories: CategoryRepository
    products: ProductRepository

    @abstractmethod
    async def __aenter__(self) -> Self: ...

    @abstractmethod
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    @abstractmethod
    async def commit(self) -> None: ...
