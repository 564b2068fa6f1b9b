"""Access tokens as signed JWTs (PyJWT): `sub`, `role`, `sid`, `jti`, `iat`, `exp`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt

from application.ports import AccessClaims, AccessToken, Clock, TokenIssuer
from domain.errors import NotAuthenticated
from domain.users import Role, User

# Tokens whose signature and claims were checked, kept per issuer (~0.6 KiB each).
VERIFIED_TOKENS_KEPT = 1024


class JwtTokenIssuer(TokenIssuer):
    """Issues and verifies access tokens.

    A client sends the same access token with every request for its lifetime, and checking
    its signature and claims is by far the largest CPU cost of authenticating it (PyJWT's
    decode: about 40 % of a `GET /auth/me` in process, docs/performance.md "Read path, this
    round"). What that check concludes depends on the token's text and this issuer's key
    alone, so it is remembered for the last `VERIFIED_TOKENS_KEPT` tokens; expiry depends on
    the clock and is judged on every call. Refusals are not remembered.
    """

    def __init__(self, secret: str, algorithm: str, access_ttl: timedelta, clock: Clock) -> None:
        self._secret = secret
        self._algorithm = algorithm
        self._ttl = access_ttl
        self._clock = clock
        self._verified = lru_cache(maxsize=VERIFIED_TOKENS_KEPT)(self._verify_signed)

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
        try:
            claims = self._verified(token)
        except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
            raise NotAuthenticated("invalid token") from None
        if claims.expires_at.timestamp() <= self._clock.now().timestamp():
            raise NotAuthenticated("token expired")
        return claims

    def _verify_signed(self, token: str) -> AccessClaims:
        """The token's claims once its signature, type and required claims check out."""
        claims = jwt.decode(
            token,
            self._secret,
            algorithms=[self._algorithm],
            # Expiry is judged by the injected clock, like issuing: one notion of "now".
            options={"require": ["sub", "exp", "iat", "jti", "sid"], "verify_exp": False},
        )
        if claims.get("typ") != "access":
            raise jwt.InvalidTokenError("not an access token")
        return AccessClaims(
            user_id=int(claims["sub"]),
            role=Role(claims["role"]),
            session_id=str(claims["sid"]),
            token_id=str(claims["jti"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
