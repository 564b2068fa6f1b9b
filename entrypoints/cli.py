"""Command line: serve, migrate, create-admin, demo-catalog, expire-orders, mock-webhook."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from entrypoints import mock_webhook
from entrypoints.settings import Settings, SettingsError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="storefront", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="apply migrations, then serve the API (HOST, PORT, WORKERS)")
    serve.add_argument("--reload", action="store_true", help="restart on code changes (development)")

    migrate = commands.add_parser("migrate", help="apply migrations up to a revision")
    migrate.add_argument("revision", nargs="?", default="head")

    admin = commands.add_parser("create-admin", help="create an admin, or promote an existing account")
    admin.add_argument("email")
    admin.add_argument(
        "--password",
        help="for a new account (default: $ADMIN_PASSWORD, else asked on the terminal)",
    )

    commands.add_parser("demo-catalog", help="load a small demo catalog (idempotent)")
    commands.add_parser("expire-orders", help="cancel unpaid orders past ORDER_PAYMENT_TIMEOUT_SECONDS, once")
    mock_webhook.add_parser(commands)

    args = parser.parse_args(argv)
    try:
        settings = Settings.load()
    except SettingsError as error:
        print(f"storefront: configuration error: {error}", file=sys.stderr)
        return 2

    from entrypoints.startup import StartupError

    try:
        return _run(args, settings)
    except StartupError as error:
        print(f"storefront: {error}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from entrypoints import startup

    if args.command == "serve":
        return serve_api(settings, reload=args.reload)
    if args.command == "migrate":
        from entrypoints.logs import configure_logging

        configure_logging(settings)
        startup.migrate(settings, args.revision)
        return 0
    if args.command == "create-admin":
        startup.migrate(settings)
        return asyncio.run(_create_admin(settings, args.email, args.password))
    if args.command == "expire-orders":
        return asyncio.run(_expire_orders(settings))
    if args.command == "mock-webhook":
        return mock_webhook.run(settings, args)
    if args.command == "demo-catalog":
        startup.migrate(settings)
        return asyncio.run(_demo_catalog(settings))
    return 2


def serve_api(settings: Settings, *, reload: bool = False) -> int:
    """Wait for the database (up to DB_CONNECT_TIMEOUT_SECONDS), apply migrations, ensure the
    ADMIN_EMAIL administrator, then run uvicorn with WORKERS processes until SIGTERM/SIGINT.

    On SIGTERM uvicorn stops accepting, lets in-flight requests finish for up to
    SHUTDOWN_TIMEOUT_SECONDS, then runs the app's shutdown (background tasks stop,
    pools close). With several workers the supervisor forwards SIGTERM to each.
    """
    from entrypoints import startup
    from entrypoints.logs import configure_logging

    configure_logging(settings)
    startup.migrate(settings)
    startup.ensure_admin(settings)
    workers = 1 if reload else settings.workers
    metrics_dir = _prepare_multiprocess_metrics() if workers > 1 else None
    try:
        _run_uvicorn(settings, workers, reload)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return 0


def _run_uvicorn(settings: Settings, workers: int, reload: bool) -> None:
    import uvicorn

    uvicorn.run(
        "entrypoints.http.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=None if reload else workers,
        reload=reload,
        access_log=False,
        log_config=None,
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        log_level=settings.log_level.lower(),
    )


def _prepare_multiprocess_metrics() -> str | None:
    """Workers share their Prometheus counters through files in PROMETHEUS_MULTIPROC_DIR.

    The directory must be empty when the workers start (stale files would add old counts):
    a given one is emptied, and without one each instance gets its own temporary directory,
    returned so that it is removed when the server stops.
    """
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        return None
    directory = tempfile.mkdtemp(prefix="storefront-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    return directory


async def _create_admin(settings: Settings, email: str, password: str | None) -> int:
    from application.auth.bootstrap_admin import EnsureAdmin
    from domain.errors import DomainError
    from entrypoints.ioc import create_cli_container

    container = create_cli_container(settings)
    try:
        async with container() as scope:
            ensure_admin = await scope.get(EnsureAdmin)
            try:
                user = await ensure_admin(email, password or os.environ.get("ADMIN_PASSWORD"))
            except DomainError as error:
                if "password" not in error.message or not sys.stdin.isatty():
                    print(f"storefront: {error.message}", file=sys.stderr)
                    return 1
                user = await ensure_admin(email, getpass.getpass("Password for the new admin: "))
    finally:
        await container.close()
    print(f"{user.email} is an admin (id {user.id})")
    return 0


async def _expire_orders(settings: Settings) -> int:
    from entrypoints.ioc import create_cli_container
    from entrypoints.order_expiry import sweep_once

    container = create_cli_container(settings)
    try:
        expired = await sweep_once(container)
    finally:
        await container.close()
    print(f"expired {expired} unpaid orders")
    return 0


async def _demo_catalog(settings: Settings) -> int:
    from entrypoints.demo import load_demo_catalog

    created = await load_demo_catalog(settings)
    print(f"demo catalog loaded: {created} new products")
    return 0


if __name__ == "__main__":
    sys.exit(main())
