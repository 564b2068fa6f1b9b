"""The mock provider's Stripe-style signature: HMAC-SHA256 over "<t>.<raw body>", 300 s either side."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.payments.mock.signature import TOLERANCE_SECONDS, sign, signature, verify
from domain.errors import NotAuthenticated

SECRET = "whsec-unit-test"
NOW = 1_800_000_000

bodies = st.binary(max_size=2000)
skews = st.integers(min_value=-TOLERANCE_SECONDS, max_value=TOLERANCE_SECONDS)


@given(bodies, skews)
def test_a_body_signed_with_the_secret_within_the_tolerance_verifies(body: bytes, skew: int) -> None:
    verify(sign(SECRET, NOW + skew, body), body, SECRET, NOW)


@given(bodies, st.integers(min_value=TOLERANCE_SECONDS + 1, max_value=10**9), st.sampled_from([-1, 1]))
def test_a_timestamp_more_than_300_seconds_away_is_refused(body: bytes, distance: int, sign_of: int) -> None:
    with pytest.raises(NotAuthenticated, match="tolerance"):
        verify(sign(SECRET, NOW + sign_of * distance, body), body, SECRET, NOW)


@given(bodies, bodies)
def test_any_change_to_the_body_breaks_the_signature(body: bytes, other: bytes) -> None:
    if body != other:
        with pytest.raises(NotAuthenticated, match="does not match"):
            verify(sign(SECRET, NOW, body), other, SECRET, NOW)


@given(bodies, st.text(min_size=1, max_size=40))
def test_another_secret_does_not_verify(body: bytes, other_secret: str) -> None:
    if other_secret != SECRET:
        with pytest.raises(NotAuthenticated):
            verify(sign(other_secret, NOW, body), body, SECRET, NOW)


@given(bodies, st.lists(st.text(min_size=1, max_size=20), max_size=4), st.integers(0, 4))
def test_one_matching_v1_entry_among_several_suffices(body: bytes, others: list[str], at: int) -> None:
    secrets = [s for s in others if s != SECRET]
    secrets.insert(min(at, len(secrets)), SECRET)
    verify(sign(secrets, NOW, body), body, SECRET, NOW)


def test_the_signature_is_the_hex_hmac_of_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), b"1800000000.{}", hashlib.sha256).hexdigest()
    assert signature(SECRET, NOW, b"{}") == expected
    assert sign(SECRET, NOW, b"{}") == f"t=1800000000,v1={expected}"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        "t=1800000000",
        "v1=abc",
        "t=abc,v1=abc",
        "t=-5,v1=abc",
        "t=1800000000,t=1800000000,v1=abc",
        "t=１８００,v1=abc",
        "t=1800000000,v1=ab\u00e9",
        "t=" + "9" * 40 + ",v1=abc",
        "x" * 5000,
    ],
)
def test_a_missing_or_malformed_header_is_refused_without_crashing(header: str | None) -> None:
    with pytest.raises(NotAuthenticated):
        verify(header, b"{}", SECRET, NOW)


@given(st.text(max_size=300))
def test_any_header_text_is_refused_as_not_authenticated_never_with_a_crash(header: str) -> None:
    with pytest.raises(NotAuthenticated):
        verify(header, b"{}", SECRET, NOW)
