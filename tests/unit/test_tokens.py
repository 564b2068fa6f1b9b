from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from adapters.security.tokens import JwtTokenIssuer
from domain.errors import NotAuthenticated
from domain.users import Role, User

START = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass
class SteppedClock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment


def issuer(clock: SteppedClock) -> JwtTokenIssuer:
    return JwtTokenIssuer("k" * 32, "HS256", timedelta(minutes=10), clock)


def a_token(tokens: JwtTokenIssuer) -> str:
    user = User(7, "ann@example.com", "hash", Role.CUSTOMER, True, START)
    return tokens.issue_access(user, "session-1").token


def test_a_token_is_valid_until_its_expiry_by_the_injected_clock() -> None:
    clock = SteppedClock(START)
    tokens = issuer(clock)
    token = a_token(tokens)
    clock.moment = START + timedelta(minutes=9, seconds=59)
    claims = tokens.verify_access(token)
    assert (claims.user_id, claims.role, claims.session_id) == (7, Role.CUSTOMER, "session-1")


def test_a_token_is_refused_once_the_injected_clock_passes_its_expiry() -> None:
    clock = SteppedClock(START)
    tokens = issuer(clock)
    token = a_token(tokens)
    clock.moment = START + timedelta(minutes=10)
    with pytest.raises(NotAuthenticated, match="expired"):
        tokens.verify_access(token)


def test_a_token_signed_with_another_key_is_refused() -> None:
    clock = SteppedClock(START)
    token = a_token(JwtTokenIssuer("x" * 32, "HS256", timedelta(minutes=10), clock))
    with pytest.raises(NotAuthenticated, match="invalid"):
        issuer(clock).verify_access(token)


def test_a_token_verified_before_is_still_refused_once_it_expires() -> None:
    clock = SteppedClock(START)
    tokens = issuer(clock)
    token = a_token(tokens)
    assert tokens.verify_access(token).user_id == 7
    assert tokens.verify_access(token).user_id == 7  # the remembered check
    clock.moment = START + timedelta(minutes=10)
    with pytest.raises(NotAuthenticated, match="expired"):
        tokens.verify_access(token)


def test_a_tampered_token_is_refused_every_time() -> None:
    clock = SteppedClock(START)
    tokens = issuer(clock)
    token = a_token(tokens)
    tokens.verify_access(token)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    for _ in range(2):
        with pytest.raises(NotAuthenticated, match="invalid"):
            tokens.verify_access(tampered)


def test_the_verified_tokens_kept_stay_bounded() -> None:
    from adapters.security import tokens as module

    clock = SteppedClock(START)
    tokens = issuer(clock)
    for n in range(module.VERIFIED_TOKENS_KEPT + 5):
        user = User(n + 1, "ann@example.com", "hash", Role.CUSTOMER, True, START)
        assert tokens.verify_access(tokens.issue_access(user, f"s{n}").token).user_id == n + 1
    assert tokens._verified.cache_info().currsize == module.VERIFIED_TOKENS_KEPT
