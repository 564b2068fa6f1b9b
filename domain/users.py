"""Accounts: who may log in, and with which role."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from domain.errors import AccessDenied, AccountDisabled, InvalidInput
from domain.text import is_combining, is_invisible, is_nfkc

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
EMAIL_MAX_LENGTH = 254
EMAIL_LOCAL_MAX_LENGTH = 64
_EMAIL_SHAPE = re.compile(r"[^@]+@[^@]+\.[^@.]+")


class Role(StrEnum):
    CUSTOMER = "customer"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Email:
    """An email address as the store keys accounts by it: lower-cased, and only if no two
    addresses could look alike on screen.

    - nothing is trimmed: a leading or trailing space is refused like any other;
    - refused: whitespace, control characters and invisible ones (soft hyphen,
      zero-width space and joiners, bidi marks, other format characters, variation
      selectors, fillers, the Braille blank, U+FFFC and U+FFFD; see
      `domain.text.is_invisible`);
    - refused unless equal to its Unicode NFKC normalisation: `a@ｘ.yy` (fullwidth) and
      `e` + U+0301 are not the `a@x.yy` and `é` they look like;
    - refused: a local part or a domain label that starts with a combining mark;
    - `local@domain.tld`, at most 254 characters, the local part at most 64.
    """

    value: str

    @classmethod
    def parse(cls, raw: str, field: str = "email") -> Email:
        if any(is_invisible(ch) for ch in raw):
            raise InvalidInput.for_field(field, "must not contain spaces, control or invisible characters")
        if not is_nfkc(raw):
            raise InvalidInput.for_field(field, "must be in Unicode normal form NFKC")
        email = raw.lower()
        if len(email) > EMAIL_MAX_LENGTH or not _EMAIL_SHAPE.fullmatch(email):
            raise InvalidInput.for_field(field, "must be a valid email address")
        local, _, domain = email.rpartition("@")
        if len(local) > EMAIL_LOCAL_MAX_LENGTH or domain.startswith(".") or ".." in domain:
            raise InvalidInput.for_field(field, "must be a valid email address")
        if any(part and is_combining(part[0]) for part in (local, *domain.split("."))):
            raise InvalidInput.for_field(field, "must not start a part with a combining mark")
        return cls(email)

    def __str__(self) -> str:
        return self.value


def normalize_email(raw: str, field: str = "email") -> str:
    """Emails are compared lower-cased: `Ann@Shop.io` and `ann@shop.io` are one account.
    Anything else `Email` refuses is InvalidInput."""
    return Email.parse(raw, field).value


def check_password_policy(password: str, field: str = "password") -> None:
    """8 to 128 Unicode code points, any character but NUL."""
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise InvalidInput.for_field(
            field, f"must be {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters long"
        )
    if "\x00" in password:
        raise InvalidInput.for_field(field, "must not contain NUL characters")


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    password_hash: str
    role: Role
    is_active: bool
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def ensure_active(self) -> None:
        if not self.is_active:
            raise AccountDisabled("this account is deactivated")

    def promoted(self) -> User:
        return replace(self, role=Role.ADMIN, is_active=True)

    def with_active(self, active: bool) -> User:
        return replace(self, is_active=active)

    def with_password_hash(self, password_hash: str) -> User:
        return replace(self, password_hash=password_hash)


# `is_admin` here and on User are twins: the caller of a use case and the stored account
# each answer it from their own role.
@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller of a use case."""

    user_id: int
    role: Role
    session_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def ensure_admin(self) -> None:
        if not self.is_admin:
            raise AccessDenied("administrator role required")
