"""The benchmark is not a test, but its smoke mode is: a second per scenario, end to end."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.floors import FLOORS_DIR
from bench.run import (
    PLACE_TRACKED,
    PROVIDER_OF,
    REFUND,
    REFUND_JOBS,
    REFUND_NO_WORKER,
    REFUND_WORKER_JOBS,
    SETTLEMENT,
)
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
    wrk: str, redis_url: str, tmp_path: Path
) -> None:
    """On the bench's own PostgreSQL cluster (no --admin-url): the default."""
    results = tmp_path / "smoke.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--smoke",
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
    assert "PostgreSQL of the run's own" in run.stdout
    assert _own_cluster_port(run.stderr) not in _listening_ports(), "the bench's cluster was left running"
    report = json.loads(results.read_text())
    for name, row in report["rows"].items():
        if name == REFUND and not _app_serves_refund_requests():
            assert row["missing"], f"{name} was measured on an app without the route"
            continue
        assert row["missing"] is None, f"{name}: n/a ({row['missing']})"
        assert row["results"], f"{name} was not measured"
        errors = sum(result["errors"] for result in row["results"] + row["floor"])
        assert errors == 0, f"{name}: {errors} error responses\n{run.stderr[-3000:]}"
    assert report["peak_rss_bytes"], "no worker memory was read"
    for name in (PLACE_TRACKED, SETTLEMENT):
        assert report["rows"][name]["floor"], f"{name} has no database floor"
    # Starting a Stripe payment is compared with the Stripe double's own answer, row by row.
    assert set(report["provider_added"]) == set(PROVIDER_OF), report["provider_added"]
    for name in (*PROVIDER_OF, *PROVIDER_OF.values()):
        assert report["rows"][name]["results"], f"{name} was not measured"
    if _app_serves_refund_requests():
        # Refund jobs were completed by the API's workers and by a `storefront worker` of its own.
        for name in (REFUND_JOBS, REFUND_NO_WORKER, REFUND_WORKER_JOBS):
            results = report["rows"][name]["results"]
            assert results, f"{name} was not measured"
            assert results[0]["requests"] > 0, f"{name}: nothing completed"


def _own_cluster_port(stderr: str) -> int:
    found = re.search(r"PostgreSQL of the run's own on port (\d+)", stderr)
    assert found, stderr[-3000:]
    return int(found.group(1))


def _listening_ports() -> set[int]:
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A":  # LISTEN
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def _app_serves_refund_requests() -> bool:
    """Whether the app's route table has POST /payments/{id}/refunds (the refund floor and
    scenario are n/a until it does)."""
    from entrypoints.http.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings("sqlite+aiosqlite:///:memory:"))
    return any(
        route.path.endswith("/refunds") and "POST" in getattr(route, "methods", ()) for route in app.routes
    )


def _bench(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_a_floor_whose_statements_changed_stops_the_bench_loudly(wrk: str, tmp_path: Path) -> None:
    """On the bench's own PostgreSQL and redis-server (neither --admin-url nor --redis-url)."""
    floors_dir = tmp_path / "floors"
    shutil.copytree(FLOORS_DIR, floors_dir)
    fingerprint = floors_dir / "place-order-tracked.statements"
    fingerprint.write_text(fingerprint.read_text().replace("UPDATE products", "UPDATE  products", 1))

    run = _bench("--only", "tracked", "--floors-dir", str(floors_dir))

    assert run.returncode == 3, run.stdout[-2000:] + run.stderr[-4000:]
    assert "BENCH FLOOR OUTDATED" in run.stderr
    assert PLACE_TRACKED in run.stderr
    assert "uv run just bench --regenerate-floors" in run.stderr
    assert "req/s" not in run.stdout, "the bench ran on an outdated floor"
    assert "Redis of the run's own" in run.stderr
    assert _own_cluster_port(run.stderr) not in _listening_ports(), "the bench's cluster was left running"


def test_a_baseline_ref_is_measured_beside_the_code_in_its_own_checkout(
    wrk: str, redis_url: str, tmp_path: Path
) -> None:
    results = tmp_path / "baseline.json"
    """On an existing server (--admin-url), as before the bench had a cluster of its own."""
    run = _bench(
        "--admin-url",
        POSTGRES_ADMIN_URL,
        "--only",
        "get product",
        "--no-floors",
        "--baseline",
        "HEAD",
        "--database",
        new_database_name("bench_"),
        "--redis-url",
        redis_url,
        "--redis-key-prefix",
        f"{REDIS_KEY_PREFIX}bench:",
        "--json",
        str(results),
    )

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    assert "now/base" in run.stdout
    row = json.loads(results.read_text())["rows"]["get product"]
    assert row["results"] and row["baseline"], row
    assert sum(r["errors"] for r in row["baseline"]) == 0
    # The baseline's worktree lives in the run's temporary directory (storefront-bench-…).
    assert "storefront-bench-" not in _worktrees(), "the baseline's worktree was left behind"


def _worktrees() -> str:
    return subprocess.run(
        ["git", "worktree", "list", "--porcelain"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


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
