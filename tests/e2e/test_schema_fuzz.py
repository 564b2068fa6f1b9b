"""Schemathesis over the app's own OpenAPI document: no 5xx, no answer that breaks the schema.

The schema is read from the running app, so endpoints added later are fuzzed without
touching this file. Requests carry an admin token, so authenticated paths are reached
past the auth check; schemathesis's own checks also send them without it.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from entrypoints.http.app import create_app
from tests.conftest import make_settings
from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD

MAX_EXAMPLES = 10
# What must hold for any input. (`positive_data_acceptance` is left out: rules the schema
# cannot express, such as an unknown category or min_price > max_price, are rightly 422.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveApp:
    """The app served by uvicorn on a thread of this process, plus an admin token that renews itself."""

    def __init__(self, database_url: str) -> None:
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            create_app(make_settings(database_url)), host="127.0.0.1", port=port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self._token: str | None = None
        self.sent = 0

    def __enter__(self) -> LiveApp:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the app did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def admin_headers(self) -> dict[str, str]:
        if self._token is None:
            response = httpx.post(
                f"{self.base_url}/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
            )
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return {"Authorization": f"Bearer {self._token}"}

    def token_may_be_spent(self) -> None:
        """A fuzzed logout ends the session: the next case logs in again."""
        self._token = None


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def live_app(request: pytest.FixtureRequest) -> Iterator[LiveApp]:
    import asyncio

    from tests.conftest import clean_database, off_loop

    url: str = request.getfixturevalue(f"{request.param}_url")
    off_loop(asyncio.run, clean_database(url))
    with LiveApp(url) as app:
        yield app


@pytest.fixture(scope="module")
def api_schema(live_app: LiveApp) -> Any:
    return schemathesis.openapi.from_url(f"{live_app.base_url}/docs/openapi.json")


def fuzz(operation: Any, live_app: LiveApp) -> list[str]:
    """Valid and invalid requests for one operation; returns what broke (empty when nothing did)."""
    failures: list[str] = []
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @given(case=strategy)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    def run(case: Any) -> None:
        if len(failures) >= 3:
            return
        live_app.sent += 1
        try:
            case.call_and_validate(
                base_url=live_app.base_url, headers=live_app.admin_headers(), checks=CHECKS, timeout=30
            )
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - collected and reported below
            failures.append(f"{operation.label}: {error}")
        finally:
            if case.path.endswith("/logout") or case.path.endswith("/deactivate"):
                live_app.token_may_be_spent()

    run()
    return failures


def test_no_input_makes_the_api_fail_or_break_its_schema(api_schema: Any, live_app: LiveApp) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 14
    failures = [failure for operation in operations for failure in fuzz(operation, live_app)]
    assert not failures, "\n\n".join(failures)
    assert live_app.sent >= 5 * len(operations), "the fuzzer barely sent anything"
    print(f"fuzzed {len(operations)} operations with {live_app.sent} requests")


def test_the_fuzzed_schema_covers_the_catalog_and_auth(api_schema: Any) -> None:
    paths = {result.ok().path for result in api_schema.get_all_operations()}
    for path in ("/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/products", "/api/v1/categories/all"):
        assert path in paths
