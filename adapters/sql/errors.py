"""Constraint name → domain error: the one place that reads database errors."""

from __future__ import annotations

import re

from sqlalchemy.exc import DBAPIError, IntegrityError

from domain.errors import AlreadyExists, Conflict, DomainError

UNIQUE_VIOLATIONS: dict[str, str] = {
    "uq_users_email": "email is already registered",
    "uq_categories_name": "category name is taken",
    "uq_categories_slug": "category slug is taken",
    "uq_products_name": "product name is taken",
    "uq_payments_order_id": "the order already has an active payment",
    "uq_jobs_key": "a job with this key already exists",
}

CHECK_VIOLATIONS: dict[str, str] = {
    "ck_products_stock_not_negative": "not enough stock",
}

# SQLite names no constraint in its messages, only the columns.
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")


def constraint_name(error: DBAPIError) -> str | None:
    orig = error.orig
    name = getattr(getattr(orig, "__cause__", None), "constraint_name", None) or getattr(
        orig, "constraint_name", None
    )
    if name:
        return str(name)
    text = str(orig)
    if match := _SQLITE_UNIQUE.search(text):
        table, *_ = match.group(1).split(".")
        columns = "_".join(part.split(".")[1] for part in match.group(1).split(", "))
        return f"uq_{table}_{columns}"
    if match := _SQLITE_CHECK.search(text):
        return match.group(1)
    return None


def to_domain_error(error: IntegrityError) -> DomainError | None:
    """The domain error a constraint violation means, or None for an unknown one."""
    return domain_error_for(constraint_name(error))


def domain_error_for(name: str | None) -> DomainError | None:
    """The domain error a violation of the constraint named `name` means, or None."""
    if name is None:
        return None
    if name in UNIQUE_VIOLATIONS:
        return AlreadyExists(UNIQUE_VIOLATIONS[name])
    for check, message in CHECK_VIOLATIONS.items():
        if name == check or check.endswith(name):
            return Conflict(message)
    return None
