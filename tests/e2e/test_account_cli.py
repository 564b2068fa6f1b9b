"""`create-admin` and `reset-password` run as the README shows them, next to a running app.

On SQLite the app keeps its sessions in its own memory (the command cannot reach them:
the sessions' password stamp ends them); on PostgreSQL with Redis the command ends them
in the shared store as well.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_BCRYPT_ROUNDS, clean_database
from tests.support.isolation import REDIS_KEY_PREFIX, delete_keys
from tests.support.servers import Server, serve

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
JUST = Path(sys.executable).with_name("just")
ADMIN = {"email": "admin@storefront.test", "password": "admin-password"}
OLD = "customer-password"
NEW = "a-new-customer-password"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.redis])])
async def app_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """The settings of the app and of the commands: SQLite alone, or PostgreSQL with Redis."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    await clean_database(url)
    env = {
        "DATABASE_URL": url,
        "BCRYPT_ROUNDS": str(TEST_BCRYPT_ROUNDS),
        "ADMIN_EMAIL": ADMIN["email"],
        "ADMIN_PASSWORD": ADMIN["password"],
    }
    if request.param == "postgres":
        env["REDIS_URL"] = request.getfixturevalue("redis_server")
        await delete_keys(env["REDIS_URL"])
        env["REDIS_KEY_PREFIX"] = REDIS_KEY_PREFIX
    return env


@pytest.fixture
def server(app_env: dict[str, str]) -> Iterator[Server]:
    with serve(app_env) as running:
        yield running


def command(
    app_env: dict[str, str],
    tmp_path: Path,
    *args: str,
    stdin: str = "",
    just: bool = False,
    admin_password: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """The command in a directory without `.env`, with no setting but `app_env` (and no terminal)."""
    inherited = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    env = {**inherited, **app_env, "PYTHONPATH": str(ROOT)}
    env.pop("ADMIN_EMAIL", None)
    env.pop("ADMIN_PASSWORD", None)
    if admin_password is not None:
        env["ADMIN_PASSWORD"] = admin_password
    argv = (
        [str(JUST), "--justfile", str(ROOT / "justfile"), "--working-directory", str(tmp_path), *args]
        if just
        else [sys.executable, "-m", "entrypoints.cli", *args]
    )
    return subprocess.run(
        argv,
        cwd=tmp_path,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_reset_password_ends_every_session_and_only_the_new_password_logs_in(
    server: Server, app_env: dict[str, str], tmp_path: Path
) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        assert client.post(
            "/api/v1/auth/register", json={"email": "ann@example.com", "password": OLD}
        ).is_success
        first, second = (
            login(client, "ann@example.com", OLD).json(),
            login(client, "ann@example.com", OLD).json(),
        )

        done = command(
            app_env, tmp_path, "reset-password", "Ann@Example.com", "--password-stdin", stdin=NEW + "\n"
        )

        assert done.returncode == 0, done.stderr
        assert "ann@example.com: password changed, every session ended" in done.stdout
        assert login(client, "ann@example.com", OLD).status_code == 401
        for old in (first, second):
            refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": old["refresh_token"]})
            assert refreshed.status_code == 401, refreshed.text
            me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old['access_token']}"})
            assert me.status_code == 401, me.text
        fresh = login(client, "ann@example.com", NEW)
        assert fresh.status_code == 200, fresh.text
        token = fresh.json()["refresh_token"]
        assert client.post("/api/v1/auth/refresh", json={"refresh_token": token}).status_code == 200


def test_the_readme_commands_create_an_admin_through_just_with_each_password_source(
    server: Server, app_env: dict[str, str], tmp_path: Path
) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        by_flag = command(
            app_env, tmp_path, "create-admin", "boss@example.com", "--password", "boss-password", just=True
        )
        assert by_flag.returncode == 0, by_flag.stderr
        assert "boss@example.com is an admin" in by_flag.stdout
        boss = login(client, "boss@example.com", "boss-password")
        assert boss.status_code == 200, boss.text
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {boss.json()['access_token']}"})
        assert me.json()["role"] == "admin"

        by_stdin = command(
            app_env,
            tmp_path,
            "create-admin",
            "ops@example.com",
            "--password-stdin",
            stdin="ops-password\n",
            just=True,
        )
        assert by_stdin.returncode == 0, by_stdin.stderr
        assert login(client, "ops@example.com", "ops-password").status_code == 200

        by_setting = command(
            app_env, tmp_path, "create-admin", "env@example.com", just=True, admin_password="env-password"
        )
        assert by_setting.returncode == 0, by_setting.stderr
        assert login(client, "env@example.com", "env-password").status_code == 200

        reset = command(
            app_env, tmp_path, "reset-password", "ops@example.com", "--password-stdin", stdin=NEW, just=True
        )
        assert reset.returncode == 0, reset.stderr
        assert login(client, "ops@example.com", NEW).status_code == 200


@pytest.mark.parametrize(
    ("args", "stdin", "status", "message"),
    [
        (
            ["create-admin", "new@example.com"],
            "",
            1,
            "storefront: create-admin: a password is required: give --password, --password-stdin or "
            "ADMIN_PASSWORD for a new account (no terminal to ask on)",
        ),
        (
            ["reset-password", "ann@example.com"],
            "",
            1,
            "storefront: reset-password: a password is required: give --password or --password-stdin "
            "(no terminal to ask on)",
        ),
        (
            ["reset-password", "ann@example.com", "--password-stdin"],
            "",
            2,
            "storefront: reset-password: --password-stdin: standard input had no password on its first line",
        ),
        (
            ["reset-password", "nobody@example.com", "--password", NEW],
            "",
            1,
            "storefront: reset-password: no account with the email nobody@example.com",
        ),
        (
            ["reset-password", "ann@example.com", "--password", "short"],
            "",
            1,
            "storefront: reset-password: password: must be 8 to 128 characters long",
        ),
        (
            ["reset-password", "not-an-email", "--password", NEW],
            "",
            1,
            "storefront: reset-password: email: must be a valid email address",
        ),
    ],
)
def test_a_command_without_what_it_needs_says_so_in_one_line(
    sqlite_url: str, tmp_path: Path, args: list[str], stdin: str, status: int, message: str
) -> None:
    done = command({"DATABASE_URL": sqlite_url}, tmp_path, *args, stdin=stdin)
    assert done.returncode == status, done.stdout + done.stderr
    assert done.stderr.strip() == message
