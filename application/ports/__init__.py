"""Ports: what the use cases need from the outside world, and nothing about how.

One module per concern; a read model's port sits beside its resource's repository port
(`catalog` and `catalog_reads`, `orders` and `order_reads`, `users` and `account_reads`).
Every public name is re-exported here: `from application.ports import UnitOfWork`.
"""

from __future__ import annotations

from application.ports.account_reads import AccountReadModel, UserOut
from application.ports.catalog import (
    CategoryRepository,
    NewCategory,
    NewProduct,
    ProductFilter,
    ProductRepository,
    ProductSort,
)
from application.ports.catalog_reads import (
    NESTED_FIELDS,
    CatalogReadModel,
    CategoryOut,
    ProductOut,
    Unchanged,
    Versioned,
    category_out,
    category_tag,
    price_text,
    product_out,
    product_tag,
    rows_tag,
)
from application.ports.clock import Clock
from application.ports.idempotency import (
    LEASE,
    LEASE_LOST,
    RETENTION,
    Claim,
    ClaimOutcome,
    IdempotencyRecords,
    IdempotencyScope,
    IdempotencyStore,
    Lease,
    Resumable,
    StoredResponse,
    holding,
    key_held,
    resumable,
)
from application.ports.installation import Installation, InstallationStore
from application.ports.jobs import JobQueue, JobRepository, NewJob
from application.ports.metrics import (
    NO_METRICS,
    JobOutcome,
    Metrics,
    NoMetrics,
    PaymentOutcome,
    RateLimitName,
    WebhookRejection,
)
from application.ports.order_events import OrderEventOut, OrderEventRepository
from application.ports.order_reads import OrderItemOut, OrderOut, OrderReadModel
from application.ports.orders import (
    OrderableProduct,
    OrderFilter,
    OrderRepository,
    OrderToPay,
    StockRepository,
)
from application.ports.payment_reads import PaymentOut, RefundOut
from application.ports.payments import (
    CheckoutRequest,
    NewPayment,
    PaymentEventRepository,
    PaymentFilter,
    PaymentGateway,
    PaymentGateways,
    PaymentRepository,
    PaymentStart,
    ProviderAnswerInvalid,
    ProviderCredentialsRefused,
    ProviderFault,
    ProviderPayment,
    ProviderRefund,
    RefundRequest,
    WebhookDelivery,
)
from application.ports.readiness import DependencyState, Readiness
from application.ports.refunds import NewRefund, RefundRepository
from application.ports.security import AccessClaims, AccessToken, PasswordHasher, TokenIssuer
from application.ports.sessions import RateLimit, RateLimiter, SessionGrant, SessionStore
from application.ports.unit_of_work import UnitOfWork
from application.ports.users import UserRepository

__all__ = [
    "LEASE",
    "LEASE_LOST",
    "NESTED_FIELDS",
    "NO_METRICS",
    "RETENTION",
    "AccessClaims",
    "AccessToken",
    "AccountReadModel",
    "CatalogReadModel",
    "CategoryOut",
    "CategoryRepository",
    "CheckoutRequest",
    "Claim",
    "ClaimOutcome",
    "Clock",
    "DependencyState",
    "IdempotencyRecords",
    "IdempotencyScope",
    "IdempotencyStore",
    "Installation",
    "InstallationStore",
    "JobOutcome",
    "JobQueue",
    "JobRepository",
    "Lease",
    "Metrics",
    "NewCategory",
    "NewJob",
    "NewPayment",
    "NewProduct",
    "NewRefund",
    "NoMetrics",
    "OrderEventOut",
    "OrderEventRepository",
    "OrderFilter",
    "OrderItemOut",
    "OrderOut",
    "OrderReadModel",
    "OrderRepository",
    "OrderToPay",
    "OrderableProduct",
    "PasswordHasher",
    "PaymentEventRepository",
    "PaymentFilter",
    "PaymentGateway",
    "PaymentGateways",
    "PaymentOut",
    "PaymentOutcome",
    "PaymentRepository",
    "PaymentStart",
    "ProductFilter",
    "ProductOut",
    "ProductRepository",
    "ProductSort",
    "ProviderAnswerInvalid",
    "ProviderCredentialsRefused",
    "ProviderFault",
    "ProviderPayment",
    "ProviderRefund",
    "RateLimit",
    "RateLimitName",
    "RateLimiter",
    "Readiness",
    "RefundOut",
    "RefundRepository",
    "RefundRequest",
    "Resumable",
    "SessionGrant",
    "SessionStore",
    "StockRepository",
    "StoredResponse",
    "TokenIssuer",
    "Unchanged",
    "UnitOfWork",
    "UserOut",
    "UserRepository",
    "Versioned",
    "WebhookDelivery",
    "WebhookRejection",
    "category_out",
    "category_tag",
    "holding",
    "key_held",
    "price_text",
    "product_out",
    "product_tag",
    "resumable",
    "rows_tag",
]
