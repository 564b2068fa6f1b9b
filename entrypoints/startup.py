"""What the commands check before they serve or migrate, each failure one line naming its setting.

- the database must answer: while it is unreachable (not started yet, starting up, shutting
  down) the command waits with a growing pause, one log line per attempt, for up to
  `DB_CONNECT_TIMEOUT_SECONDS`; any other refusal (wrong password, no such database) stops
  it at once;
- the migrations are applied;
- the administrator of `ADMIN_EMAIL` exists (created with `ADMIN_PASSWORD` if new).

A `StartupError` carries the one line the command prints before exiting non-zero.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from adapters.outages import unavailable_dependency
from adapters.sql.database import describe_url, probe
from domain.errors import DomainError, InvalidInput
from entrypoints.outage_log import describe
from entrypoints.settings import Settings

log = logging.getLogger("storefront.startup")

FIRST_PAUSE_SECONDS = 0.5
MAX_PAUSE_SECONDS = 5.0
ATTEMPT_TIMEOUT_SECONDS = 5.0


class StartupError(Exception):
    """The command cannot start; the message is the whole explanation, on one line."""


def wait_for_database(
    settings: Settings,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Return once the database answers `SELECT 1`; raise `StartupError` when it will not."""
    where = describe_url(settings.database_url)
    limit = settings.db_connect_timeout_seconds
    deadline = clock() + limit
    pause = FIRST_PAUSE_SECONDS
    attempt = 0
    while True:
        attempt += 1
        timeout = max(0.5, min(ATTEMPT_TIMEOUT_SECONDS, deadline - clock()))
        try:
            asyncio.run(probe(settings.database_url, timeout))
        except Exception as error:  # noqa: BLE001 - sorted below: wait, or one line and stop
            if unavailable_dependency(error) is None or settings.database_url.startswith("sqlite"):
                raise StartupError(
                    f"DATABASE_URL: cannot use the database at {where}: {describe(error)}"
                ) from None
            left = deadline - clock()
            if left <= 0:
                raise StartupError(
                    f"DATABASE_URL: the database at {where} did not answer within "
                    f"DB_CONNECT_TIMEOUT_SECONDS={limit} ({describe(error)})"
                ) from None
            pause = min(pause, left)
            log.warning(
                "waiting for the database at %s (attempt %d, %s); next try in %.1f s, giving up in %.0f s",
                where,
                attempt,
                describe(error),
                pause,
                left,
            )
            sleep(pause)
            pause = min(pause * 2, MAX_PAUSE_SECONDS)
            continue
        if attempt > 1:
            log.warning("the database at %s answers (attempt %d)", where, attempt)
        return


def migrate(settings: Settings, revision: str = "head") -> None:
    """Wait for the database, then apply the migrations up to `revision`."""
    from entrypoints import migrations  # Alembic here: the API's worker processes never migrate

    wait_for_database(settings)
    try:
        migrations.upgrade(settings.database_url, revision)
    except Exception as error:
        if (kind := unavailable_dependency(error)) is None:
            raise
        raise StartupError(
            f"DATABASE_URL: the {kind} became unavailable while migrating ({describe(error)})"
        ) from None


def admin_problem(error: DomainError) -> str:
    """The settings' words for why the administrator could not be ensured."""
    if isinstance(error, InvalidInput) and error.errors:
        field = error.errors[0]
        setting = "ADMIN_PASSWORD" if field.field == "password" else "ADMIN_EMAIL"
        return f"{setting} {field.message}"
    return error.message


def ensure_admin(settings: Settings) -> None:
    """Create or promote the `ADMIN_EMAIL` administrator; `StartupError` when it cannot be."""
    if not settings.admin_email:
        return
    from application.auth.bootstrap_admin import EnsureAdmin
    from entrypoints.ioc import create_cli_container

    async def run() -> None:
        container = create_cli_container(settings)
        try:
            async with container() as scope:
                ensure = await scope.get(EnsureAdmin)
                await ensure(settings.admin_email or "", settings.admin_password)
        finally:
            await container.close()

    try:
        asyncio.run(run())
    except DomainError as error:
        raise StartupError(
            f"cannot set up the administrator {settings.admin_email}: {admin_problem(error)}"
        ) from None
    except Exception as error:
        if (kind := unavailable_dependency(error)) is None:
            raise
        raise StartupError(
            f"ADMIN_EMAIL: the {kind} became unavailable while setting up the administrator "
            f"({describe(error)})"
        ) from None
