"""Access tokens as signed JWTs (PyJWT): `sub`, `role`, `sid`, `jti`, `iat`, `exp`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from application.ports import AccessClaims, AccessToken, Clock, TokenIssuer
from domain.errors import NotAuthenticated
from domain.users import Role, User

# Tokens whose signature and claims were verified, kept per issuer: a client sends the same
# token on every request until it expires, and PyJWT's decode (base64 checks of every character,
# JSON, HMAC) was ~0.1 ms of CPU per authenticated request, about 4 % of a placed order
# (docs/performance.md, "Write path", "This round"). Only tokens that passed every check are
# kept; the expiry is judged against the clock on every call, cached or not. At most this many
# (a few hundred bytes each); the whole cache is dropped when it is full.
VERIFIED_CACHE_SIZE = 512


class JwtTokenIssuer(TokenIssuer):
    def __init__(self, secret: str, algorithm: str, access_ttl: timedelta, clock: Clock) -> None:
        self._secret = secret
        self._algorithm = algorithm
        self._ttl = access_ttl
        self._clock = clock
        self._verified: dict[str, tuple[AccessClaims, int]] = {}

    def issue_access(self, user: User, session_id: str) -> AccessToken:
        now = self._clock.now()
        claims = {
            "sub": str(user.id),
            "role": user.role.value,
            "sid": session_id,
            "jti": uuid.uuid4().hex,
            "iat": int(now.timestamp()),
            "exp": int((now + self._ttl).timestamp()),
            "typ": "access",
        }
        token = jwt.encode(claims, self._secret, algorithm=self._algorithm)
        return AccessToken(token=token, session_id=session_id, expires_in=int(self._ttl.total_seconds()))

    def verify_access(self, token: str) -> AccessClaims:
        verified = self._verified.get(token)
        if verified is None:
            verified = self._decode(token)
            if len(self._verified) >= VERIFIED_CACHE_SIZE:
                self._verified.clear()
            self._verified[token] = verified
        claims, expires = verified
        if expires <= self._clock.now().timestamp():
            raise NotAuthenticated("token expired")
        return claims

    def _decode(self, token: str) -> tuple[AccessClaims, int]:
        """The claims of a well-signed access token and its `exp`; NotAuthenticated otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self._algorithm],
                # Expiry is judged by the injected clock, like issuing: one notion of "now".
                options={"require": ["sub", "exp", "iat", "jti", "sid"], "verify_exp": False},
            )
            if claims.get("typ") != "access":
                raise NotAuthenticated("invalid token")
            expires = int(claims["exp"])
            return (
                AccessClaims(
                    user_id=int(claims["sub"]),
                    role=Role(claims["role"]),
                    session_id=str(claims["sid"]),
                    token_id=str(claims["jti"]),
                    expires_at=datetime.fromtimestamp(expires, UTC),
                ),
                expires,
            )
        except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
            raise NotAuthenticated("invalid token") from None
