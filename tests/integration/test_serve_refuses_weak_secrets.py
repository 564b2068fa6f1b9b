"""`APP_ENV=prod` refuses to serve with a missing, default or short secret, naming the setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from entrypoints.settings import DEV_SECRET_KEY, DEV_WEBHOOK_SECRET

ROOT = Path(__file__).resolve().parents[2]
STRONG = "k3Jq9v0cX2mZ7pLw4tYb8nR1sD6fGhUe"  # 32 bytes
assert len(STRONG) == 32


def serve(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k.isupper() and not k.startswith(("SECRET", "PAYMENT", "APP_"))
    }
    env.update(settings, PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/never.db")
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "serve"],
        cwd=tmp_path,  # no .env here
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({}, "SECRET_KEY"),
        ({"SECRET_KEY": DEV_SECRET_KEY, "PAYMENT_WEBHOOK_SECRET": STRONG}, "SECRET_KEY"),
        ({"SECRET_KEY": "short-secret", "PAYMENT_WEBHOOK_SECRET": STRONG}, "SECRET_KEY"),
        ({"SECRET_KEY": STRONG}, "PAYMENT_WEBHOOK_SECRET"),
        ({"SECRET_KEY": STRONG, "PAYMENT_WEBHOOK_SECRET": DEV_WEBHOOK_SECRET}, "PAYMENT_WEBHOOK_SECRET"),
        ({"SECRET_KEY": STRONG, "PAYMENT_WEBHOOK_SECRET": "x" * 31}, "PAYMENT_WEBHOOK_SECRET"),
        ({"SECRET_KEY": STRONG, "PAYMENT_WEBHOOK_SECRET": STRONG, "BCRYPT_ROUNDS": "4"}, "BCRYPT_ROUNDS"),
    ],
    ids=[
        "no secret key",
        "default secret key",
        "short secret key",
        "no webhook secret",
        "default webhook secret",
        "31-byte webhook secret",
        "weak bcrypt",
    ],
)
def test_prod_serve_exits_non_zero_naming_the_weak_setting(
    tmp_path: Path, settings: dict[str, str], named: str
) -> None:
    result = serve(tmp_path, APP_ENV="prod", **settings)
    assert result.returncode != 0
    assert named in result.stderr
    assert "configuration error" in result.stderr
    assert not (tmp_path / "never.db").exists(), "nothing may start before the settings are accepted"
    for value in settings.values():
        if len(value) >= 8:
            assert value not in result.stderr, "the message names the setting, never its value"


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_prod_serve_on_a_wildcard_address_without_public_url_exits_naming_it(
    tmp_path: Path, host: str
) -> None:
    result = serve(
        tmp_path, APP_ENV="prod", SECRET_KEY=STRONG, PAYMENT_WEBHOOK_SECRET=STRONG, HOST=host, PUBLIC_URL=""
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "PUBLIC_URL" in lines[0] and "configuration error" in lines[0], result.stderr
    assert not (tmp_path / "never.db").exists()
