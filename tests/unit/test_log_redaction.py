"""The last line of defence: whatever a library logs, secrets are scrubbed from the line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entrypoints.logs import REDACTED, Redactor, configure_logging
from entrypoints.settings import Settings

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwic2lkIjoiYWJjIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        (f"Authorization: Bearer {JWT}", JWT),
        ("headers={'authorization': 'Bearer opaque-token-value'}", "opaque-token-value"),
        (f"token is {JWT} for user 3", JWT),
        ('{"password": "hunter2-hunter2", "email": "a@b.c"}', "hunter2-hunter2"),
        ("login failed password=hunter2-hunter2&x=1", "hunter2-hunter2"),
        ("refresh_token: 3f9a7c2e1d", "3f9a7c2e1d"),
        ("x-mock-signature: t=1764200000,v1=" + "ab" * 32, "ab" * 32),
        ("card 4242 4242 4242 4242 declined", "4242 4242 4242 4242"),
        ("pan 4111-1111-1111-1111", "4111-1111-1111-1111"),
        ("digest " + "0f" * 32, "0f" * 32),
        ("the key is configured-secret-value", "configured-secret-value"),
    ],
)
def test_a_secret_in_a_log_line_is_replaced(line: str, secret: str) -> None:
    redacted = Redactor(["configured-secret-value"])(line)
    assert secret not in redacted
    assert REDACTED in redacted


@pytest.mark.parametrize(
    "line",
    [
        "GET /api/v1/orders/{order_id:int} 200",
        "order 1234567 placed at 1764200000120",  # a millisecond timestamp that fails the Luhn check
        "request_id=4f1c2b7e9a0d4e6f8b3c5d7e9f1a2b3c",
    ],
)
def test_ordinary_lines_are_left_alone(line: str) -> None:
    assert Redactor()(line) == line


def luhn_complete(digits: list[int]) -> str:
    total = 0
    for position, value in enumerate(reversed(digits)):
        doubled = value * 2 if position % 2 == 0 else value
        total += doubled - 9 if doubled > 9 else doubled
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


@given(st.lists(st.integers(0, 9), min_size=12, max_size=18), st.sampled_from(["", " ", "-"]))
def test_every_card_like_number_is_redacted_whatever_its_grouping(digits: list[int], separator: str) -> None:
    number = luhn_complete(digits)
    grouped = separator.join(number[i : i + 4] for i in range(0, len(number), 4))
    assert number not in Redactor()(f"paid with {grouped} today").replace(separator, "")


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    access = logging.getLogger("storefront.access")
    saved_access = access.disabled
    output = io.StringIO()
    settings = Settings(
        app_env="prod", secret_key="s" * 40, payment_webhook_secret="w" * 40, access_log=False
    )
    configure_logging(settings, output)
    try:
        yield output
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        access.disabled = saved_access


def test_prod_logs_are_json_lines_with_the_extras_and_sensitive_extras_hidden(logs: io.StringIO) -> None:
    logging.getLogger("storefront.test").warning(
        "login by %s", "ann@example.com", extra={"user_id": 7, "password": "hunter2-hunter2"}
    )
    entry = json.loads(logs.getvalue().splitlines()[-1])
    assert entry["level"] == "warning"
    assert entry["logger"] == "storefront.test"
    assert entry["message"] == "login by ann@example.com"
    assert entry["user_id"] == 7
    assert entry["password"] == REDACTED


def test_an_exception_traceback_is_scrubbed_too(logs: io.StringIO) -> None:
    try:
        raise ValueError(f"bad token {JWT}")
    except ValueError:
        logging.getLogger("storefront.test").exception("failed")
    entry = json.loads(logs.getvalue().splitlines()[-1])
    assert "ValueError" in entry["exception"]
    assert JWT not in entry["exception"]


def test_access_log_false_silences_the_access_log_only(logs: io.StringIO) -> None:
    logging.getLogger("storefront.access").info("GET / 200")
    logging.getLogger("storefront.http").info("still here")
    assert "GET / 200" not in logs.getvalue()
    assert "still here" in logs.getvalue()
