"""Password hashing and access tokens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from dishka import Provider, Scope, provide

from adapters.security.passwords import BcryptPasswordHasher, arrival_ended, arrival_started, request_arrived
from adapters.security.tokens import JwtTokenIssuer
from application.ports import Clock, PasswordHasher, TokenIssuer
from entrypoints.settings import Settings

__all__ = ["SecurityAdapters", "arrival_ended", "arrival_started", "request_arrived"]


class SecurityAdapters(Provider):
    scope = Scope.APP

    @provide
    def password_hasher(self, settings: Settings) -> Iterator[PasswordHasher]:
        hasher = BcryptPasswordHasher(
            rounds=settings.bcrypt_rounds,
            workers=settings.password_hash_threads,
        )
        yield hasher
        hasher.close()

    @provide
    def token_issuer(self, settings: Settings, clock: Clock) -> TokenIssuer:
        return JwtTokenIssuer(
            secret=settings.secret_key,
            algorithm=settings.algorithm,
            access_ttl=timedelta(minutes=settings.access_token_expire_minute),
            clock=clock,
        )
