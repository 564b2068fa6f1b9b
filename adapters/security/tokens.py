"""Access tokens as signed JWTs (PyJWT): `sub`, `role`, `sid`, `jti`, `iat`, `exp`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

from application.ports import AccessClaims, AccessToken, Clock, TokenIssuer
from domain.errors import NotAuthenticated
from domain.users import Role, User


class JwtTokenIssuer(TokenIssuer):
    def __init__(self, secret: str, algorithm: str, access_ttl: timedelta, clock: Clock) -> None:
        self._secret = secret
        self._algorithm = algorithm
        self._ttl = access_ttl
        self._clock = clock

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
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self._algorithm],
                # Expiry is judged by the injected clock, like issuing: one notion of "now".
                options={"require": ["sub", "exp", "iat", "jti", "sid"], "verify_exp": False},
            )
            if claims.get("typ") != "access":
                raise NotAuthenticated("invalid token")
            if int(claims["exp"]) <= self._clock.now().timestamp():
                raise jwt.ExpiredSignatureError("token expired")
            return AccessClaims(
                user_id=int(claims["sub"]),
                role=Role(claims["role"]),
                session_id=str(claims["sid"]),
                token_id=str(claims["jti"]),
                expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated("token expired") from None
        except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
            raise NotAuthenticated("invalid token") from None
