"""The schema, as SQLAlchemy Core tables. Every constraint is named: the names
map database errors back to domain errors (see `errors.py`)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from adapters.sql.types import UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identities.
Id = BigInteger().with_variant(Integer(), "sqlite")


def row_version() -> list[Column[int]]:
    """`version`: 1 when inserted, one more on every UPDATE of the row, by a trigger of the
    database (migration 0011), so no writer can forget it. Catalog ETags are made of it."""
    return [Column("version", BigInteger, nullable=False, server_default=text("1"))]


users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False),
    Column("password_hash", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("email"),
    CheckConstraint("role IN ('customer', 'admin')", name="role"),
)

categories = Table(
    "categories",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(50), nullable=False),
    Column("slug", String(50), nullable=False),
    Column("is_active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    *row_version(),
    UniqueConstraint("name"),
    UniqueConstraint("slug"),
)

products = Table(
    "products",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    # Lower-cased by Python (Unicode-aware) for `q`: SQLite's lower() is ASCII-only.
    # Text, not String(100): lower-casing can lengthen a name ("İ" becomes two code points).
    Column("search_name", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("price_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("category_id", Id, ForeignKey("categories.id"), nullable=False),
    Column("stock", Integer, nullable=True),
    Column("is_active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    *row_version(),
    UniqueConstraint("name"),
    CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
    CheckConstraint("price_minor > 0", name="price_positive"),
    Index(None, "category_id", "id"),
    Index(None, "price_minor", "id"),
    Index(None, "created_at", "id"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # The sum of the succeeded refunds of its payments, kept in their transactions (migration 0012).
    Column("refunded_minor", BigInteger, nullable=False, server_default=text("0")),
    CheckConstraint(
        "status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded')", name="status"
    ),
    CheckConstraint("total_minor > 0", name="total_positive"),
    # Each filter of the order lists with their sort, newest first (migration 0007).
    Index(None, "user_id", "created_at", "id"),
    Index(None, "status", "created_at", "id"),
    Index(None, "created_at", "id"),
    # Only the pending orders, per user: counting them at each placement stays cheap
    # however long the user's history.
    Index(
        "ix_orders_pending_user_id",
        "user_id",
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    ),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False),
    Column("product_id", Id, ForeignKey("products.id"), nullable=False),
    Column("product_name", String(100), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", BigInteger, nullable=False),
    CheckConstraint("quantity BETWEEN 1 AND 1000", name="quantity_range"),
    CheckConstraint("unit_price_minor > 0", name="unit_price_positive"),
    UniqueConstraint("order_id", "product_id"),
)

# Idempotency-Key records: one per (user, concrete path, key). See docs/decisions.md.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("path", String(300), nullable=False),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("response_status", Integer, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("media_type", String(100), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    # The current claim's token (NULL: released) and what its work created, written in
    # the work's own transaction (migration 0006).
    Column("claim_token", String(32), nullable=True),
    Column("resource_id", Id, nullable=True),
    UniqueConstraint("user_id", "path", "key"),
    CheckConstraint("state IN ('running', 'done')", name="state"),
    Index(None, "created_at"),
)

PAYMENT_STATUSES = "'created', 'pending', 'succeeded', 'failed', 'canceled'"
ACTIVE_PAYMENT = text("status IN ('created', 'pending')")
# SQLite uses a partial index only for a query term that reads like its predicate: SQLAlchemy
# writes a boolean column there as `= 1`.
REFUND_REQUIRED = text("refund_required")
REFUND_REQUIRED_SQLITE = text("refund_required = 1")

# Deliberate twins: `payments` and `refunds` below are alike by shape (an amount in minor units with
# its currency, a status, provider ids, times); each is its own resource with its own constraints.
payments = Table(
    "payments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("provider_payment_id", String(255), nullable=True),
    Column("checkout_url", String(1000), nullable=True),
    Column("status", String(16), nullable=False),
    Column("fail_reason", String(500), nullable=True),
    Column("refund_required", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # The sum of its succeeded refunds, kept in their transactions (migration 0012).
    Column("refunded_minor", BigInteger, nullable=False, server_default=text("0")),
    # The provider's id that refunds are made against (Stripe's `pi_…`), migration 0010.
    Column("capture_reference", Text, nullable=True),
    CheckConstraint(f"status IN ({PAYMENT_STATUSES})", name="status"),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    UniqueConstraint("provider", "provider_payment_id"),
    # One active payment per order: a partial unique index (PostgreSQL and SQLite).
    Index(
        "uq_payments_order_id",
        "order_id",
        unique=True,
        postgresql_where=ACTIVE_PAYMENT,
        sqlite_where=ACTIVE_PAYMENT,
    ),
    Index(None, "order_id", "id"),
    # Each filter of the back office's payment list with its sort, newest first (migration 0007).
    Index(None, "created_at", "id"),
    Index(None, "status", "created_at", "id"),
    Index(None, "provider", "created_at", "id"),
    Index(
        "ix_payments_refund_required_created_at_id",
        "created_at",
        "id",
        postgresql_where=REFUND_REQUIRED,
        sqlite_where=REFUND_REQUIRED_SQLITE,
    ),
)

# Every provider event, once per (provider, event_id): the duplicate check and the audit trail.
payment_events = Table(
    "payment_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("provider", String(32), nullable=False),
    Column("event_id", String(255), nullable=False),
    Column("payment_id", Id, ForeignKey("payments.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("fail_reason", String(500), nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    UniqueConstraint("provider", "event_id"),
    CheckConstraint("outcome IN ('applied', 'ignored', 'mismatch')", name="outcome"),
    Index(None, "payment_id", "id"),
)

ORDER_EVENT_TYPES = (
    "'placed', 'cancelled', 'expired', 'payment_started', 'payment_pending', 'payment_succeeded', "
    "'payment_failed', 'payment_canceled', 'paid', 'shipped', 'delivered', 'refund_requested', "
    "'refund_succeeded', 'refund_failed', 'refunded'"
)
EVENT_ACTORS = "'customer', 'admin', 'system', 'provider'"

# The order timeline: append-only, one row per change of an order, its payments or refunds,
# written in the change's transaction; read per order, oldest first (migration 0009).
order_events = Table(
    "order_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False),
    Column("type", String(32), nullable=False),
    Column("from_status", String(16), nullable=True),
    Column("to_status", String(16), nullable=True),
    Column("actor", String(16), nullable=False),
    Column("detail", String(500), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint(f"type IN ({ORDER_EVENT_TYPES})", name="type"),
    CheckConstraint(f"actor IN ({EVENT_ACTORS})", name="actor"),
    Index(None, "order_id", "id"),
)

# Refunds of payments (migration 0012). Requested (pending) together with their job.
# Deliberate twins: shaped like `payments` above (see there).
refunds = Table(
    "refunds",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("payment_id", Id, ForeignKey("payments.id"), nullable=False),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(500), nullable=True),
    Column("provider_refund_id", String(255), nullable=True),
    Column("failure_reason", String(500), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    Index(None, "payment_id", "id"),
    Index(None, "provider_refund_id"),
)

JOB_READY = text("status IN ('due', 'running')")

# The transactional outbox (migration 0012): one row per job, written with its cause.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("payload", Text, nullable=False),  # a JSON object
    Column("key", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("run_after", UtcDateTime, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("locked_until", UtcDateTime, nullable=True),
    Column("locked_by", String(100), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("key"),
    CheckConstraint("status IN ('due', 'running', 'succeeded', 'dead')", name="status"),
    # Only the jobs not yet final: the relay's scan stays small however long the history.
    Index("ix_jobs_ready_run_after", "run_after", postgresql_where=JOB_READY, sqlite_where=JOB_READY),
)

# This store's identity at the payment providers: one row, made by migration 0013 (or on first
# use, if the tables were emptied), read once per process (adapters/sql/installation.py).
installation = Table(
    "installation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("installation_id", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("id = 1", name="one_row"),
)
