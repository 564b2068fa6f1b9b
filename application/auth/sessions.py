"""Refresh tokens: random, shown once, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from application.ports import AccessToken, SessionStore, TokenIssuer, UnitOfWork
from domain.errors import AccountDisabled, NotAuthenticated
from domain.users import User


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access: AccessToken
    refresh_token: str


def password_stamp(user: User) -> str:
    """A short digest of the account's password hash: it changes whenever the password does."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def new_session_id(user: User) -> str:
    """A random id that ends with the stamp of the password the session was opened with."""
    return f"{secrets.token_hex(16)}.{password_stamp(user)}"


def opened_with_current_password(user: User, session_id: str) -> bool:
    """False for a session opened before the account's password was last changed.

    An id without a stamp comes from before stamps existed: such sessions live only in Redis
    (in-process ones did not survive the restart onto this code), where a reset ends them.
    """
    _, dot, stamp = session_id.rpartition(".")
    return not dot or hmac.compare_digest(stamp, password_stamp(user))


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def refresh_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


async def open_session(
    user: User, uow: UnitOfWork, sessions: SessionStore, tokens: TokenIssuer
) -> IssuedTokens:
    """Start a session for an active user.

    The account is read again once the session exists: a deactivation that
    committed meanwhile either sees this session (and ends it) or is seen here.
    """
    session_id = new_session_id(user)
    refresh_token = new_refresh_token()
    await sessions.start(user.id, session_id, refresh_hash(refresh_token))
    async with uow:
        current = await uow.users.get(user.id)
    if current is None or not current.is_active:
        await sessions.end(session_id)
        raise AccountDisabled("this account is deactivated")
    if not opened_with_current_password(current, session_id):
        await sessions.end(session_id)
        raise NotAuthenticated("the password was changed meanwhile; log in again")
    return IssuedTokens(tokens.issue_access(current, session_id), refresh_token)
