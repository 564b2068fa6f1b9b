"""No secret reaches a log line: an end-to-end run with every logger at its most talkative.

The scenario registers, logs in (right and wrong passwords, the OAuth2 form too), uses,
refreshes and ends sessions, places an order, pays it through signed webhooks (one with a
forged signature), and sends card-like numbers around. Every record of every logger —
SQLAlchemy's SQL log included — goes through the production handler (JSON) and the
development one (readable); then both outputs are searched for every secret used.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.payments.mock.signature import HEADER
from entrypoints.logs import configure_logging
from entrypoints.settings import Settings
from tests.e2e.conftest import ADMIN_PASSWORD, Api
from tests.e2e.payment_flow import (
    WEBHOOK,
    WEBHOOK_SECRET,
    deliver,
    event,
    make_product,
    place_order,
    signed,
    start_payment,
)

SECRET_KEY = "log-hygiene-secret-key-0123456789abcdef-XYZ"
PASSWORD = "correct horse battery staple 9"
CARD_PASSWORD = "4111 1111 1111 1111"
CARD_IN_REASON = "4000-0000-0000-0002"
WRONG_PASSWORD = "wrong-password-attempt-77"
FORGED_TOKEN = "not-a-real-token-abcdef123456"
WATCHED = ("sqlalchemy.engine", "aiosqlite", "asyncpg", "sqlalchemy.engine.Engine.raw", "storefront.access")


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"payment_webhook_secret": WEBHOOK_SECRET, "secret_key": SECRET_KEY}


@pytest.fixture(params=["prod", "dev"])
def captured_logs(request: pytest.FixtureRequest) -> Iterator[io.StringIO]:
    """Logging exactly as `serve` sets it up (JSON in prod, readable in dev), at DEBUG."""
    logging_settings = Settings(
        app_env=request.param,
        secret_key=SECRET_KEY,
        payment_webhook_secret=WEBHOOK_SECRET,
        admin_password=ADMIN_PASSWORD,
        log_level="DEBUG",
    )
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_levels = {name: logging.getLogger(name).level for name in WATCHED}
    output = io.StringIO()
    configure_logging(logging_settings, output)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # every statement is logged
    try:
        yield output
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)


async def scenario(api: Api) -> list[str]:
    """Runs the scenario; returns every secret that went over the wire."""
    secrets = [
        SECRET_KEY,
        WEBHOOK_SECRET,
        ADMIN_PASSWORD,
        PASSWORD,
        CARD_PASSWORD,
        WRONG_PASSWORD,
        FORGED_TOKEN,
    ]
    client = api.client
    await api.register("ann@example.com", PASSWORD)
    await api.register("card@example.com", CARD_PASSWORD)
    assert (
        await client.post("/api/v1/auth/login", json={"email": "ann@example.com", "password": WRONG_PASSWORD})
    ).status_code == 401
    assert (
        await client.post(
            "/api/v1/auth/login", data={"username": "card@example.com", "password": CARD_PASSWORD}
        )
    ).status_code == 200
    login = await client.post("/api/v1/auth/login", json={"email": "ann@example.com", "password": PASSWORD})
    tokens: dict[str, Any] = login.json()
    secrets += [tokens["access_token"], tokens["refresh_token"]]
    ann = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get("/api/v1/auth/me", headers=ann)).status_code == 200
    assert (
        await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {FORGED_TOKEN}"})
    ).status_code == 401

    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    pair = refreshed.json()
    secrets += [pair["access_token"], pair["refresh_token"]]
    ann = {"Authorization": f"Bearer {pair['access_token']}"}

    product_id = await make_product(api, stock=10)
    order = await place_order(api, ann, product_id)
    payment = await start_payment(api, ann, order["id"])
    body, headers = signed(event(payment, "succeeded"))
    secrets.append(headers[HEADER].split("v1=")[1])
    assert (await client.post(WEBHOOK, content=body, headers=headers)).status_code == 200
    forged = {**headers, HEADER: headers[HEADER][:-8] + "deadbeef"}
    secrets.append(forged[HEADER].split("v1=")[1])
    assert (await client.post(WEBHOOK, content=body, headers=forged)).status_code == 401

    second = await place_order(api, ann, product_id, quantity=1)
    declined = await start_payment(api, ann, second["id"])
    response = await deliver(api, event(declined, "failed", fail_reason=f"card {CARD_IN_REASON} declined"))
    assert response.status_code == 200
    secrets.append(CARD_IN_REASON)

    assert (await client.post("/api/v1/auth/logout", headers=ann)).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=ann)).status_code == 401
    # A retired refresh token again (a reuse): refused, and still not logged.
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).status_code == 401
    return secrets


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


async def test_no_password_token_secret_signature_or_card_number_reaches_the_logs(
    api: Api, captured_logs: io.StringIO
) -> None:
    secrets = await scenario(api)

    text = captured_logs.getvalue()
    # The scan means something only if the run was logged: requests, SQL and the drivers.
    assert text.count("storefront.access") >= 20
    assert "sqlalchemy.engine" in text
    for secret in secrets:
        assert secret not in text, f"the log holds a secret: {secret[:12]}…"
    for card in (CARD_PASSWORD, CARD_IN_REASON):
        assert digits(card) not in digits_runs(text), "the log holds a card number"


def digits_runs(text: str) -> set[str]:
    """Every run of digits (spaces and dashes inside a number joined up)."""
    return {digits(m.group(0)) for m in re.finditer(r"\d[\d -]{11,}\d", text)}


async def test_the_access_log_line_names_the_user_but_not_their_token(
    api: Api, captured_logs: io.StringIO
) -> None:
    user = await api.register("ann@example.com", PASSWORD)
    headers = await api.login("ann@example.com", PASSWORD)
    await api.client.get("/api/v1/auth/me", headers=headers, params={"x": "1"})

    lines = [line for line in captured_logs.getvalue().splitlines() if "GET /api/v1/auth/me 200" in line]
    assert len(lines) == 1
    assert re.search(rf"\buser_id\W+{user['id']}\b", lines[0])
    assert headers["Authorization"].split()[1] not in captured_logs.getvalue()
