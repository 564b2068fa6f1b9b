"""Refresh tokens: random, shown once, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from application.ports import AccessToken, SessionStore, TokenIssuer, UnitOfWork
from domain.errors import AccountDisabled
from domain.users import User


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access: AccessToken
    refresh_token: str


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
    session_id = secrets.token_hex(16)
    refresh_token = new_refresh_token()
    await sessions.start(user.id, session_id, refresh_hash(refresh_token))
    async with uow:
        current = await uow.users.get(user.id)
    if current is None or not current.is_active:
        await sessions.end(session_id)
        raise AccountDisabled("this account is deactivated")
    return IssuedTokens(tokens.issue_access(current, session_id), refresh_token)
