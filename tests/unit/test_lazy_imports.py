"""Heavy optional libraries load only in the processes that use them (memory per API worker):
a provider's SDK only when `PAYMENT_PROVIDERS` enables it, the job library only where a job
worker runs, taskiq-redis only for a Redis broker, Alembic only where migrations run.

Each case builds the app (or the worker's container) in a fresh interpreter and lists which
of these modules it loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HEAVY = ("stripe", "yookassa", "taskiq", "taskiq_redis", "alembic", "aiohttp", "requests")

BUILD_APP = """
    from entrypoints.http.app import create_app
    from entrypoints.settings import Settings

    create_app(Settings.load())
"""

BUILD_WORKER = """
    import asyncio

    from taskiq import AsyncBroker

    from entrypoints.ioc import create_cli_container
    from entrypoints.settings import Settings

    async def main() -> None:
        container = create_cli_container(Settings.load(), worker=True)
        try:
            await container.get(AsyncBroker)
        finally:
            await container.close()

    asyncio.run(main())
"""


def loaded(build: str, tmp_path: Path, **env: str) -> set[str]:
    script = textwrap.dedent(build) + textwrap.dedent(
        f"""
        import json, sys

        print(json.dumps(sorted(name for name in {HEAVY!r} if name in sys.modules)))
        """
    )
    return set(json.loads(last_line(script, tmp_path, **env)))


def last_line(script: str, tmp_path: Path, **env: str) -> str:
    """What `script` prints last, run in a new interpreter with the mock provider and the worker
    on (`env` on top), on a SQLite file of its own; fails with its stderr if it fails."""
    own = ("STRIPE_", "YOOKASSA_", "REDIS_URL", "PAYMENT_PROVIDER")
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(own)},
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'lazy.db'}",
        "PAYMENT_PROVIDERS": "mock",
        "RUN_WORKER": "true",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1]


def test_an_api_process_without_a_worker_loads_no_optional_library(tmp_path: Path) -> None:
    assert loaded(BUILD_APP, tmp_path, RUN_WORKER="false") == set()


def test_the_worker_in_the_api_process_without_redis_loads_taskiq_alone(tmp_path: Path) -> None:
    assert loaded(BUILD_APP, tmp_path) == {"taskiq", "aiohttp"}  # aiohttp: taskiq's own import


@pytest.mark.parametrize(
    ("providers", "extra", "sdks"),
    [
        (
            "mock,stripe",
            {"STRIPE_SECRET_KEY": "sk_test_lazy", "STRIPE_WEBHOOK_SECRET": "whsec_lazy"},
            {"stripe", "aiohttp"},  # aiohttp: the HTTP client the gateway gives the SDK
        ),
        (
            "mock,yookassa",
            {"YOOKASSA_SHOP_ID": "123", "YOOKASSA_SECRET_KEY": "test_lazy"},
            set(),  # its adapter speaks HTTP through httpx: no SDK to load
        ),
    ],
)
def test_a_provider_sdk_loads_only_when_its_provider_is_enabled(
    tmp_path: Path, providers: str, extra: dict[str, str], sdks: set[str]
) -> None:
    found = loaded(BUILD_APP, tmp_path, RUN_WORKER="false", PAYMENT_PROVIDERS=providers, **extra)
    assert found - {"requests"} == sdks  # requests: the Stripe SDK's own import


def test_a_worker_with_redis_loads_taskiq_redis(tmp_path: Path) -> None:
    found = loaded(BUILD_WORKER, tmp_path, REDIS_URL="redis://127.0.0.1:6379/9")
    assert {"taskiq", "taskiq_redis"} <= found
    assert "alembic" not in found and "stripe" not in found


RESOLVE_LIMITER = """
    import asyncio

    from application.ports import RateLimiter
    from entrypoints.ioc import create_container
    from entrypoints.settings import Settings

    async def main() -> None:
        container = create_container(Settings.load())
        try:
            await container.get(RateLimiter)
        finally:
            await container.close()

    asyncio.run(main())
"""


@pytest.mark.parametrize(
    ("limits", "loads"),
    [({"RATE_LIMIT_LOGIN": "0", "RATE_LIMIT_REGISTER": "0", "RATE_LIMIT_API": "0"}, False), ({}, True)],
)
def test_the_limits_library_loads_only_when_a_limit_is_on(
    tmp_path: Path, limits: dict[str, str], loads: bool
) -> None:
    script = textwrap.dedent(RESOLVE_LIMITER) + "\nimport sys\nprint('limits' in sys.modules)\n"
    environment = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'lazy.db'}", **limits}
    environment.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == str(loads)


def test_a_served_worker_skips_httpx_command_line() -> None:
    script = (
        "import sys\n"
        "from entrypoints.http.app import skip_httpx_command_line\n"
        "skip_httpx_command_line()\n"
        "import httpx\n"
        "print(sorted(n for n in ('httpx._main', 'rich', 'pygments') if sys.modules.get(n)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_a_served_worker_runs_every_provider_without_requests(tmp_path: Path) -> None:
    """`skip_requests` leaves the Stripe SDK working (it builds its client) and nothing else in a
    served worker with every provider and the worker on needs it, from start-up to shutdown."""
    script = textwrap.dedent(
        """
        import asyncio, os, sys
        from entrypoints.http.app import app_from_env
        from entrypoints.migrations import upgrade

        app = app_from_env()
        upgrade(os.environ["DATABASE_URL"])  # as `serve` does before its workers start
        import stripe

        stripe.StripeClient("sk_test_lazy", http_client=stripe.AIOHTTPClient())

        async def serve_and_stop():  # start-up (migrations, the worker) and shutdown
            inbox, outbox = asyncio.Queue(), asyncio.Queue()
            await inbox.put({"type": "lifespan.startup"})
            running = asyncio.create_task(app({"type": "lifespan", "state": {}}, inbox.get, outbox.put))
            assert (await outbox.get())["type"] == "lifespan.startup.complete"
            await inbox.put({"type": "lifespan.shutdown"})
            await running

        asyncio.run(serve_and_stop())
        assert sys.modules["requests"] is None
        print("ok")
        """
    )
    every_provider = {
        "PAYMENT_PROVIDERS": "mock,stripe,yookassa",
        "STRIPE_SECRET_KEY": "sk_test_lazy",
        "STRIPE_WEBHOOK_SECRET": "whsec_lazy",
        "YOOKASSA_SHOP_ID": "123",
        "YOOKASSA_SECRET_KEY": "test_lazy",
    }
    assert last_line(script, tmp_path, **every_provider) == "ok"
