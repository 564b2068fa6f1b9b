"""Start-up and configuration errors of `serve` and `migrate`: one line naming the setting, an
exit status that is not 0, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.processes import server_environment
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, command: str, **settings: object) -> subprocess.CompletedProcess[str]:
    database_url = str(settings.pop("database_url", f"sqlite+aiosqlite:///{tmp_path}/storefront.db"))
    env = server_environment(database_url, **settings)
    env["PORT"] = str(free_port())
    env = {key: value for key, value in env.items() if value != ""}
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", command],
        cwd=tmp_path,  # no .env here
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def the_one_error_line(result: subprocess.CompletedProcess[str], names: str) -> str:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    errors = [line for line in result.stderr.splitlines() if line.startswith("storefront:")]
    assert len(errors) == 1, result.stderr
    assert names in errors[0], errors[0]
    assert errors[0] == result.stderr.splitlines()[-1], "the reason is the last word"
    return errors[0]


@pytest.mark.parametrize(
    ("command", "url"),
    [
        ("serve", "postgresql://storefront@127.0.0.1:5432/storefront"),
        ("migrate", "postgresql://storefront@127.0.0.1:5432/storefront"),
        ("migrate", "mysql://storefront@127.0.0.1/storefront"),
        ("serve", "not a url"),
    ],
)
def test_a_database_url_without_a_supported_driver_is_one_line(
    tmp_path: Path, command: str, url: str
) -> None:
    result = run(tmp_path, command, database_url=url)
    assert result.returncode == 2
    line = the_one_error_line(result, "DATABASE_URL")
    assert "postgresql+asyncpg://" in line
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    "url",
    ["localhost:6379", "http://127.0.0.1:6379/0", "redis://127.0.0.1:port/0", "redis://127.0.0.1:6379/x"],
)
def test_a_malformed_redis_url_refuses_to_start(tmp_path: Path, url: str) -> None:
    result = run(tmp_path, "serve", redis_url=url)
    assert result.returncode == 2
    the_one_error_line(result, "REDIS_URL")
    assert len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "storefront.db").exists(), "nothing may start before the settings are accepted"


@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_a_database_that_stays_down_is_waited_for_then_one_line(tmp_path: Path, command: str) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/storefront"
    started = time.monotonic()
    result = run(tmp_path, command, database_url=url, db_connect_timeout_seconds=3)
    took = time.monotonic() - started
    assert result.returncode == 1
    line = the_one_error_line(result, "DATABASE_URL")
    assert "DB_CONNECT_TIMEOUT_SECONDS=3" in line
    waiting = [line for line in result.stderr.splitlines() if "waiting for the database" in line]
    assert len(waiting) >= 2, result.stderr  # one line per attempt, each saying so
    assert len(result.stderr.splitlines()) == len(waiting) + 1
    assert took >= 3


def test_a_database_refusing_us_is_not_waited_for(tmp_path: Path) -> None:
    """Wrong credentials will not fix themselves: one line at once."""
    postgres = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    host = postgres.rsplit("@", 1)[-1].split("/")[0]
    url = f"postgresql+asyncpg://no_such_role_here@{host}/postgres"
    result = run(tmp_path, "migrate", database_url=url, db_connect_timeout_seconds=60)
    if "waiting for the database" in result.stderr:
        pytest.skip("the test PostgreSQL is unreachable")
    assert result.returncode == 1
    the_one_error_line(result, "DATABASE_URL")


def test_admin_email_without_a_password_for_a_new_account_is_one_line(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", admin_email="boss@example.com", admin_password="")
    assert result.returncode == 1
    line = the_one_error_line(result, "ADMIN_PASSWORD")
    assert "boss@example.com" in line
    assert "[redacted]" not in result.stderr


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_job_lease_shorter_than_the_provider_timeout_is_one_line(tmp_path: Path, command: str) -> None:
    result = run(tmp_path, command, job_lease_seconds=14)
    assert result.returncode == 2
    line = the_one_error_line(result, "JOB_LEASE_SECONDS")
    assert "at least 15" in line and "provider timeout (10 s)" in line, line
