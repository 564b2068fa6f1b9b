"""Command line: serve, worker, migrate, create-admin, reset-password, demo-catalog, expire-orders,
retry-refund, mock-webhook.

Passwords (create-admin, reset-password) come from, in order: `--password`, one line on
standard input with `--password-stdin`, `ADMIN_PASSWORD` (create-admin only), or a
prompt on the terminal (asked twice). Without any of them and without a terminal the
command stops with a one-line error instead of waiting.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from entrypoints import mock_webhook
from entrypoints.settings import Settings, SettingsError

APP = "entrypoints.http.app:app_from_env"
"""The ASGI app factory every served worker runs (`uvicorn --factory`)."""

if TYPE_CHECKING:
    from domain.refunds import Refund
    from domain.users import User

UseCase = TypeVar("UseCase")
Result = TypeVar("Result")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="storefront", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="apply migrations, then serve the API (HOST, PORT, WORKERS)")
    serve.add_argument("--reload", action="store_true", help="restart on code changes (development)")

    commands.add_parser(
        "worker",
        help="run a background-job worker (refunds) until SIGTERM (`serve` runs one unless RUN_WORKER=false)",
    )

    migrate = commands.add_parser("migrate", help="apply migrations up to a revision")
    migrate.add_argument("revision", nargs="?", default="head")

    admin = commands.add_parser("create-admin", help="create an admin, or promote an existing account")
    admin.add_argument("email")
    _password_arguments(
        admin, "for a new account (an existing one keeps its own); default: $ADMIN_PASSWORD, else asked"
    )

    reset = commands.add_parser(
        "reset-password", help="set a new password for an account and end all its sessions"
    )
    reset.add_argument("email")
    _password_arguments(reset, "the new password; default: asked on the terminal")

    commands.add_parser("demo-catalog", help="load a small demo catalog (idempotent)")
    commands.add_parser("expire-orders", help="cancel unpaid orders past ORDER_PAYMENT_TIMEOUT_SECONDS, once")
    retry = commands.add_parser(
        "retry-refund",
        help="send a pending refund whose job died to the provider again, under the same reference",
    )
    retry.add_argument("refund_id", type=int)
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
    if args.command == "worker":
        from entrypoints.jobs import run_worker
        from entrypoints.logs import configure_logging

        configure_logging(settings)
        startup.migrate(settings)
        return asyncio.run(run_worker(settings))
    if args.command == "migrate":
        from entrypoints.logs import configure_logging

        configure_logging(settings)
        startup.migrate(settings, args.revision)
        return 0
    if args.command in ("create-admin", "reset-password"):
        try:
            given = _given_password(args)
        except PasswordUnavailable as error:
            print(f"storefront: {args.command}: {error}", file=sys.stderr)
            return 2
        startup.migrate(settings)
        if args.command == "create-admin":
            return asyncio.run(_create_admin(settings, args.email, given or settings.admin_password))
        return asyncio.run(_reset_password(settings, args.email, given))
    if args.command == "expire-orders":
        return asyncio.run(_expire_orders(settings))
    if args.command == "retry-refund":
        startup.migrate(settings)
        return asyncio.run(_retry_refund(settings, args.refund_id))
    if args.command == "mock-webhook":
        return mock_webhook.run(settings, args)
    if args.command == "demo-catalog":
        startup.migrate(settings)
        return asyncio.run(_demo_catalog(settings))
    return 2


def serve_api(settings: Settings, *, reload: bool = False) -> int:
    """Wait for the database (up to DB_CONNECT_TIMEOUT_SECONDS), apply migrations, ensure the
    ADMIN_EMAIL administrator, then run uvicorn with WORKERS processes until SIGTERM/SIGINT.

    On SIGTERM uvicorn stops accepting (new connections are refused), lets in-flight requests
    finish for up to SHUTDOWN_TIMEOUT_SECONDS, then runs the app's shutdown (background tasks
    stop, pools close). With several workers the supervisor forwards SIGTERM to each. Either
    way the process then ends killed by that signal (exit status 143 for SIGTERM in a shell).
    """
    from entrypoints import startup
    from entrypoints.logs import configure_logging

    configure_logging(settings)
    startup.migrate(settings)
    startup.ensure_admin(settings)
    workers = 1 if reload else settings.workers
    metrics_dir = _prepare_multiprocess_metrics() if workers > 1 else None
    stopped_by = None
    try:
        stopped_by = _run_uvicorn(settings, workers, reload)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    if stopped_by is not None:
        # As one uvicorn worker does after its clean-up: die of the signal that stopped us.
        signal.signal(stopped_by, signal.SIG_DFL)
        signal.raise_signal(stopped_by)
    return 0


def _run_uvicorn(settings: Settings, workers: int, reload: bool) -> signal.Signals | None:
    """Serve until stopped; the signal that stopped several workers' supervisor (one worker, or
    the reloader, re-raises its own inside uvicorn)."""
    import uvicorn

    from entrypoints.supervisor import Supervisor

    options = {
        "factory": True,
        "host": settings.host,
        "port": settings.port,
        "access_log": False,
        "log_config": None,
        "proxy_headers": True,
        "server_header": False,
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds,
        # uvicorn's supervisor restarts a worker that does not answer its ping within this
        # many seconds; its default (5) kills workers still importing on a busy host.
        "timeout_worker_healthcheck": 30,
        "log_level": settings.log_level.lower(),
    }
    if reload or workers == 1:
        uvicorn.run(APP, workers=None if reload else workers, reload=reload, **options)  # type: ignore[arg-type]
        return None
    config = uvicorn.Config(APP, workers=workers, **options)  # type: ignore[arg-type]
    supervisor = Supervisor(config, sockets=[config.bind_socket()])
    supervisor.run()
    return supervisor.stopped_by


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


class PasswordUnavailable(Exception):
    """No password was given and there is no terminal to ask on."""


def _password_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--password", help=f"{what} (visible to other local users: prefer stdin)")
    source.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )


def _given_password(args: argparse.Namespace) -> str | None:
    """`--password`, or the first line of stdin with `--password-stdin`; None when neither."""
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
        if not password:
            raise PasswordUnavailable("--password-stdin: standard input had no password on its first line")
        return password
    given: str | None = args.password
    return given


def _ask_password(prompt: str, sources: str) -> str:
    """Ask twice on the terminal; without a terminal, say which sources there are."""
    if not sys.stdin.isatty():
        raise PasswordUnavailable(f"a password is required: give {sources} (no terminal to ask on)")
    first = getpass.getpass(f"{prompt}: ")
    if getpass.getpass("Again: ") != first:
        raise PasswordUnavailable("the two passwords differ")
    return first


async def _use_case_command(
    settings: Settings,
    command: str,
    use_case: type[UseCase],
    act: Callable[[UseCase], Awaitable[Result]],
    done: Callable[[Result], str],
) -> int:
    """Run one use case from the command line: `done`'s line on success (exit status 0);
    a domain error or a missing password as one line on standard error (exit status 1)."""
    from domain.errors import DomainError
    from entrypoints.ioc import create_cli_container, unavailable_dependency

    container = create_cli_container(settings)
    try:
        async with container() as scope:
            run = await scope.get(use_case)
            try:
                result = await act(run)
            except (DomainError, PasswordUnavailable) as error:
                print(f"storefront: {command}: {_message(error)}", file=sys.stderr)
                return 1
    except Exception as error:
        if (kind := unavailable_dependency(error)) is None:
            raise
        print(f"storefront: {command}: the {kind} is unavailable, nothing was done", file=sys.stderr)
        return 1
    finally:
        await container.close()
    print(done(result))
    return 0


async def _create_admin(settings: Settings, email: str, password: str | None) -> int:
    from application.auth.bootstrap_admin import EnsureAdmin
    from domain.errors import InvalidInput

    async def act(ensure_admin: EnsureAdmin) -> User:
        try:
            return await ensure_admin(email, password)
        except InvalidInput as error:
            if password is not None or not any(e.field == "password" for e in error.errors):
                raise
            asked = _ask_password(
                f"Password for the new admin {email}",
                "--password, --password-stdin or ADMIN_PASSWORD for a new account",
            )
            return await ensure_admin(email, asked)

    return await _use_case_command(
        settings, "create-admin", EnsureAdmin, act, lambda user: f"{user.email} is an admin (id {user.id})"
    )


async def _reset_password(settings: Settings, email: str, password: str | None) -> int:
    from application.auth.reset_password import ResetPassword

    async def act(reset_password: ResetPassword) -> User:
        given = password
        if given is None:
            given = _ask_password(f"New password for {email}", "--password or --password-stdin")
        return await reset_password(email, given)

    return await _use_case_command(
        settings,
        "reset-password",
        ResetPassword,
        act,
        lambda user: f"{user.email}: password changed, every session ended (id {user.id})",
    )


def _message(error: Exception) -> str:
    message: str = getattr(error, "message", None) or str(error)
    return message


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


async def _retry_refund(settings: Settings, refund_id: int) -> int:
    """`retry-refund`: revive a dead refund job (`RetryRefund`); a running worker picks it up."""
    from application.payments.refunds import RetryRefund

    async def act(retry: RetryRefund) -> Refund:
        return await retry(refund_id)

    return await _use_case_command(
        settings,
        "retry-refund",
        RetryRefund,
        act,
        lambda refund: (
            f"refund {refund.id} ({refund.amount}) is due again: a worker sends it to the provider "
            "under the same reference"
        ),
    )


async def _demo_catalog(settings: Settings) -> int:
    from entrypoints.demo import load_demo_catalog

    created = await load_demo_catalog(settings)
    print(f"demo catalog loaded: {created} new products")
    return 0


if __name__ == "__main__":
    sys.exit(main())
