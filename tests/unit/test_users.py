from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import AccessDenied, AccountDisabled, InvalidInput
from domain.users import Actor, Role, check_password_policy, normalize_email

emails = st.emails().filter(lambda e: len(e) <= 254)


@given(emails)
def test_a_normalised_email_is_lower_case_and_normalising_again_changes_nothing(email: str) -> None:
    try:
        normalized = normalize_email(email)
    except InvalidInput:
        return
    assert normalized == normalized.lower()
    assert normalize_email(normalized) == normalized


@given(emails)
def test_emails_differing_only_in_case_normalise_to_one_account(email: str) -> None:
    with contextlib.suppress(InvalidInput):
        assert normalize_email(email.upper()) == normalize_email(email.lower())


def test_an_email_is_lower_cased_and_never_trimmed() -> None:
    assert normalize_email("Ann@Shop.IO") == "ann@shop.io"
    for padded in ("  Ann@Shop.IO ", " ann@shop.io", "ann@shop.io "):
        with pytest.raises(InvalidInput):
            normalize_email(padded)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ann",
        "ann@",
        "@shop.io",
        "ann@shop",
        "ann@@shop.io",
        "ann smith@shop.io",
        "ann@shop..io",
        "ann@.shop.io",
        "ann\x00@shop.io",
        "ann@shop.io\x00",
        "a" * 65 + "@shop.io",
        "ann@" + "a" * 250 + ".io",
    ],
)
def test_malformed_emails_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput) as error:
        normalize_email(raw)
    assert error.value.errors[0].field == "email"


@given(st.text(min_size=8, max_size=128).filter(lambda p: "\x00" not in p))
def test_every_password_of_8_to_128_code_points_without_nul_is_accepted(password: str) -> None:
    check_password_policy(password)


@pytest.mark.parametrize("password", ["😀" * 8, "я" * 128, "\U0010ffff" * 128, " " * 8])
def test_the_password_length_counts_code_points_not_bytes(password: str) -> None:
    check_password_policy(password)


@pytest.mark.parametrize("password", ["", "short12", "😀" * 7, "x" * 129, "😀" * 129])
def test_passwords_outside_8_to_128_code_points_are_refused(password: str) -> None:
    with pytest.raises(InvalidInput) as error:
        check_password_policy(password)
    assert error.value.errors[0].field == "password"


@given(st.text(max_size=60), st.text(max_size=60))
def test_a_password_with_a_nul_anywhere_is_refused(before: str, after: str) -> None:
    password = f"{before}\x00{after}"
    with pytest.raises(InvalidInput):
        check_password_policy(password)


def test_only_admins_pass_the_admin_check() -> None:
    Actor(1, Role.ADMIN).ensure_admin()
    with pytest.raises(AccessDenied):
        Actor(2, Role.CUSTOMER).ensure_admin()


def test_a_disabled_account_is_an_access_denial() -> None:
    assert issubclass(AccountDisabled, AccessDenied)
