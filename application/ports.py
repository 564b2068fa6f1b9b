"""Ports: what the use cases need from the outside world, and nothing about how."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self

from application.idempotency import IdempotencyRecords
from application.payments.ports import PaymentEventRepository, PaymentRepository
from domain.catalog import Category, Product
from domain.orders import Order, OrderStatus
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


@dataclass(frozen=True, slots=True)
class OrderableProduct:
    """A product as an order sees it: with whether its category is active."""

    product: Product
    category_active: bool

    @property
    def can_be_ordered(self) -> bool:
        return self.product.is_active and self.category_active


class StockRepository(Protocol):
    """Units on the shelf. Reservations are atomic: no two orders get the same last unit."""

    @abstractmethod
    async def orderable(self, product_ids: Sequence[int]) -> dict[int, OrderableProduct]:
        """The products that exist among `product_ids`, by id."""

    @abstractmethod
    async def reserve(self, quantities: Mapping[int, int]) -> dict[int, int]:
        """Take the units of every tracked product, in product-id order (so that two
        orders over the same products never deadlock); untracked products are never short.

        Returns the short products with the units they have left; when it is not
        empty some lines may have been taken, and the caller must roll back.
        """

    @abstractmethod
    async def release(self, quantities: Mapping[int, int]) -> None:
        """Put units back on the shelf, in product-id order (untracked products are left alone)."""


@dataclass(frozen=True, slots=True)
class OrderFilter:
    """Which orders the back office lists; `None` matches any. `created_*` are inclusive
    bounds, timezone-aware UTC."""

    status: OrderStatus | None = None
    user_id: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


class OrderRepository(Protocol):
    @abstractmethod
    async def add(self, order: Order) -> Order:
        """Insert the order with its lines; returns it with ids assigned."""

    @abstractmethod
    async def get(self, order_id: int, *, for_update: bool = False) -> Order | None:
        """One order; `for_update` locks its row until the transaction ends (PostgreSQL)."""

    @abstractmethod
    async def list_for_user(
        self, user_id: int, status: OrderStatus | None, limit: int, offset: int
    ) -> list[Order]:
        """A user's orders, newest first (ties broken by id, descending)."""

    @abstractmethod
    async def list_all(self, criteria: OrderFilter, limit: int, offset: int) -> list[Order]:
        """Every order that matches, newest first (ties broken by id, descending)."""

    @abstractmethod
    async def save_status(self, order: Order, expected: OrderStatus) -> bool:
        """Store `order`'s status and `updated_at` only if the stored status is still
        `expected`; False when another transaction moved it first (nothing written)."""

    @abstractmethod
    async def pending_since(self, before: datetime, limit: int) -> list[int]:
        """Ids of pending orders placed before `before`, oldest first."""

    @abstractmethod
    async def pending_of_placing_user(self, user_id: int, up_to: int) -> int:
        """How many pending orders the user holds, counted up to `up_to`, with the user's
        placements serialised until the transaction ends (PostgreSQL locks the user's row;
        SQLite transactions already take turns): two placements by one user never both
        see the same count."""


class UnitOfWork(Protocol):
    """One database transaction. Leaving without `commit()` rolls everything back."""

    users: UserRepository
    categories: CategoryRepository
    products: ProductRepository
    orders: OrderRepository
    stock: StockRepository
    payments: PaymentRepository
    payment_events: PaymentEventRepository
    idempotency: IdempotencyRecords

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


# ---- sessions and limits ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionGrant:
    """A session that a refresh token was just rotated in."""

    user_id: int
    session_id: str


class SessionStore(Protocol):
    """Login sessions (refresh-token families), shared by every app instance.

    Refresh tokens are known only by their hashes. Every call is atomic; a store
    that cannot be reached raises DependencyUnavailable (never "valid").
    """

    @abstractmethod
    async def start(self, user_id: int, session_id: str, refresh_hash: str) -> None:
        """Open a session whose current refresh token has this hash."""

    @abstractmethod
    async def rotate(self, old_hash: str, new_hash: str) -> SessionGrant | None:
        """Replace the session's current refresh token, as one compare-and-set.

        None when the token is unknown, expired or its session ended. A token that
        was already rotated away ends its whole session (reuse detection) and gives None.
        """

    @abstractmethod
    async def owner(self, session_id: str) -> int | None:
        """The user of a live session; None once it has ended or expired."""

    @abstractmethod
    async def end(self, session_id: str) -> None: ...

    @abstractmethod
    async def end_all(self, user_id: int) -> None:
        """End every session of the user, for good."""


class RateLimit(StrEnum):
    FAILED_LOGINS = "login"
    REGISTRATIONS = "register"
    API_REQUESTS = "api"


class RateLimiter(Protocol):
    """Counters over time windows, shared by every app instance. A limit may be off."""

    @abstractmethod
    async def hit(self, limit: RateLimit, key: str) -> None:
        """Count one event; TooManyRequests (with retry_after) if the limit was already reached."""

    @abstractmethod
    async def count(self, limit: RateLimit, key: str) -> None:
        """Count one event that has already happened; never refuses."""

    @abstractmethod
    async def ensure_open(self, limit: RateLimit, key: str) -> None:
        """TooManyRequests if the limit is reached, counting nothing."""

    @abstractmethod
    async def give_back(self, limit: RateLimit, key: str) -> None:
        """Uncount one event that `hit` counted and that turned out not to count (a slot
        reserved for an attempt that did not fail); never refuses."""
