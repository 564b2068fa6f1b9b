"""The benchmark is not a test, but its smoke mode is: a second per scenario, end to end."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.support.isolation import POSTGRES_ADMIN_URL, REDIS_KEY_PREFIX, new_database_name

PROJECT_ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        if REQUIRE_SERVICES:
            pytest.fail("wrk is not installed; STOREFRONT_TEST_REQUIRE_SERVICES=1 requires it", pytrace=False)
        pytest.skip("wrk is not installed (apt-get install -y wrk)")
    return path


def test_the_smoke_benchmark_measures_every_scenario_without_errors(
    wrk: str, postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    results = tmp_path / "smoke.json"
    database = new_database_name("bench_")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--smoke",
            "--admin-url",
            POSTGRES_ADMIN_URL,
            "--database",
            database,
            "--redis-url",
            redis_url,
            "--redis-key-prefix",
            f"{REDIS_KEY_PREFIX}bench:",
            "--json",
            str(results),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    assert "ours/floor" in run.stdout
    report = json.loads(results.read_text())
    for name, row in report["rows"].items():
        assert row["missing"] is None, f"{name}: n/a ({row['missing']})"
        assert row["results"], f"{name} was not measured"
        errors = sum(result["errors"] for result in row["results"] + row["floor"])
        assert errors == 0, f"{name}: {errors} error responses\n{run.stderr[-3000:]}"
    assert report["peak_rss_bytes"], "no worker memory was read"


def test_the_benchmark_says_how_to_install_wrk_when_it_is_missing(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": str(tmp_path), "HOME": str(tmp_path)},
    )

    assert run.returncode == 2
    assert "apt-get install -y wrk" in run.stderr
