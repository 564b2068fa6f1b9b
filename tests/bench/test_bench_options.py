"""`--only` picks scenarios by part of their name; without it every scenario runs."""

from __future__ import annotations

from bench import services
from bench.run import (
    PLACE_TRACKED,
    SCENARIOS,
    SMALL_ORDER,
    STORM,
    WORKERS,
    connection_budget,
    parse_args,
    pool_size,
)


def _selected(*argv: str) -> list[str]:
    options = parse_args(["--redis-url", "", *argv])
    return [name for name in [s.name for s in SCENARIOS] + [STORM, SMALL_ORDER] if options.selects(name)]


def test_without_only_every_scenario_runs() -> None:
    assert _selected() == [s.name for s in SCENARIOS] + [STORM, SMALL_ORDER]


def test_only_matches_part_of_a_name_in_any_case_and_repeats() -> None:
    assert _selected("--only", "GET PRODUCT", "--only", "categories") == ["get product", "list categories"]
    assert _selected("--only", "place order") == ["place order (2 lines)", PLACE_TRACKED, SMALL_ORDER]


def test_the_bench_runs_on_its_own_postgresql_unless_given_a_server() -> None:
    assert parse_args(["--redis-url", ""]).private_postgres
    given = parse_args(["--redis-url", "", "--admin-url", "postgresql+asyncpg://postgres@db:5432/postgres"])
    assert not given.private_postgres
    assert given.admin_url == "postgresql+asyncpg://postgres@db:5432/postgres"


def test_its_own_cluster_has_room_for_two_apis_the_floor_app_and_64_pgbench_clients() -> None:
    options = parse_args(["--redis-url", "", "--baseline", "HEAD"])
    budget = connection_budget(options)

    assert budget.pgbench_clients == 64
    # Each API worker: SQLAlchemy's 2 × DB_POOL_SIZE, the read pool's DB_POOL_SIZE.
    pools = 2 * WORKERS * (2 * pool_size(options) + pool_size(options)) + WORKERS * pool_size(options)
    assert budget.required == pools + 64
    assert services.max_connections(budget) - 3 >= budget.total > budget.required
    # What the machine's shared server (max_connections = 100) could never hold.
    assert budget.required > 100
