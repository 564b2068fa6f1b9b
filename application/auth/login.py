from __future__ import annotations

import secrets
from dataclasses import dataclass

from application.ports import AccessToken, PasswordHasher, TokenIssuer, UnitOfWork
from domain.errors import InvalidInput, NotAuthenticated
from domain.users import PASSWORD_MAX_LENGTH, normalize_email

_BAD_CREDENTIALS = "incorrect email or password"


@dataclass(frozen=True, slots=True)
class Credentials:
    email: str
    password: str


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access: AccessToken


class LogIn:
    """Exchange an email and password for a token.

    - an unknown email and a wrong password fail alike (NotAuthenticated) and take
      about the same time: unknown emails burn one dummy verification;
    - a deactivated account is refused (AccountDisabled) even with the right password.
    """

    def __init__(self, uow: UnitOfWork, hasher: PasswordHasher, tokens: TokenIssuer) -> None:
        self._uow = uow
        self._hasher = hasher
        self._tokens = tokens

    async def __call__(self, credentials: Credentials) -> IssuedTokens:
        try:
            email = normalize_email(credentials.email)
        except InvalidInput:
            email = None
        password = credentials.password
        async with self._uow as uow:
            user = await uow.users.get_by_email(email) if email else None
        if user is None or len(password) > PASSWORD_MAX_LENGTH:
            await self._hasher.burn(password[:PASSWORD_MAX_LENGTH])
            raise NotAuthenticated(_BAD_CREDENTIALS)
        if not await self._hasher.verify(password, user.password_hash):
            raise NotAuthenticated(_BAD_CREDENTIALS)
        user.ensure_active()
        return IssuedTokens(self._tokens.issue_access(user, secrets.token_hex(16)))
