"""Passwords and access tokens."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.users import Role, User


class PasswordHasher(Protocol):
    @abstractmethod
    async def hash(self, password: str) -> str: ...

    @abstractmethod
    async def verify(self, password: str, password_hash: str) -> bool: ...

    @abstractmethod
    async def burn(self, password: str) -> None:
        """Spend the time of one verification, for unknown emails (no timing oracle)."""


# Small frozen value classes (here and in idempotency.py) are alike by shape only.
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
