"""The write floors: from a statement log to a pgbench script, and the loud fingerprint check."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from bench import floors
from bench.floors import Capture, FloorOutdated, FloorSpec, Statement

SPEC = FloorSpec(
    name="place-order",
    scenario="place order, tracked stock (8 customers)",
    prelude="\\set product_a random(1, 10)\n\\set product_b random(11, 20)\n\\set user_id random(1, 8)",
    generated={"order_id": floors.inserted_into("orders", "order_")},
)
SELECT = "SELECT id FROM products WHERE id IN ($1::BIGINT, $2::BIGINT)"
BUMP = "INSERT INTO catalog_version (shard, version) VALUES ($1::INTEGER, $2::BIGINT)"
INSERT_ORDER = (
    "INSERT INTO orders (user_id, status, created_at) VALUES ($1::BIGINT, $2, $3) RETURNING orders.id"
)
INSERT_LINE = "INSERT INTO order_lines (order_id, product_id, note) VALUES ($1, $2, $3)"


def _capture(user: int, a: int, b: int, order: int, at: str, token: str) -> Capture:
    statements = [
        Statement(1, "BEGIN;", ()),
        Statement(1, SELECT, (str(a), str(b))),
        Statement(1, BUMP, (str(min(a % 16, b % 16)), "1")),
        Statement(1, INSERT_ORDER, (str(user), "pending", at)),
        Statement(1, INSERT_LINE, (str(order), str(a), token)),
        Statement(1, "COMMIT;", ()),
    ]
    values = {"user_id": str(user), "product_a": str(a), "product_b": str(b), "order_id": str(order)}
    return Capture(statements, values)


CAPTURES = [
    _capture(11, 204, 218, 3_000_007, "2026-11-30 00:30:27.06+00", "evt_" + "a1" * 10),
    _capture(12, 209, 231, 3_000_008, "2026-11-30 00:30:27.08+00", "evt_" + "b2" * 10),
    _capture(13, 222, 241, 3_000_009, "2026-11-30 00:30:27.09+00", "evt_" + "c3" * 10),
]


def test_the_script_draws_inputs_per_transaction_and_keeps_what_never_varies() -> None:
    script = floors.pgbench_script(SPEC, CAPTURES)

    assert "\\set product_a random(1, 10)" in script
    assert "WHERE id IN (:product_a::BIGINT, :product_b::BIGINT);" in script
    # The shard is the lesser of the two products' remainders in every capture.
    assert "\\set least_product_a_product_b_mod16 least(:product_a % 16, :product_b % 16)" in script
    assert "VALUES (:least_product_a_product_b_mod16::INTEGER, '1'::BIGINT);" in script
    # The new order's id comes from the INSERT that returns it.
    assert "VALUES (:user_id::BIGINT, 'pending', now()) RETURNING orders.id \\gset order_" in script
    assert "VALUES (:order_id, :product_a, md5(random()::text));" in script
    assert script.count("BEGIN;") == 1
    assert script.count("COMMIT;") == 1


def test_a_json_payload_naming_a_generated_id_names_each_transaction_s_own() -> None:
    job = "INSERT INTO jobs (kind, payload) VALUES ($1, $2)"
    captures = [
        Capture(
            [
                *capture.statements[:-1],
                Statement(1, job, ("refund", f'{{"order_id": {order}}}')),
                Statement(1, "COMMIT;", ()),
            ],
            capture.values,
        )
        for capture, order in zip(CAPTURES, (3_000_007, 3_000_008, 3_000_009), strict=True)
    ]

    script = floors.pgbench_script(SPEC, captures)

    assert """VALUES ('refund', format('{"order_id": %s}', :order_id::bigint));""" in script


def test_captures_that_disagree_keep_the_sequence_most_share() -> None:
    odd = Capture([Statement(2, "SELECT 1", ()), *CAPTURES[2].statements], CAPTURES[2].values)

    kept = floors.agreed([CAPTURES[0], CAPTURES[1], odd], SPEC.scenario)

    assert kept == [CAPTURES[0], CAPTURES[1]]
    with pytest.raises(RuntimeError, match="no two captures"):
        floors.agreed([CAPTURES[0], odd, Capture([], {})], SPEC.scenario)


def test_the_statement_log_is_read_between_the_markers_without_our_own_session() -> None:
    def entry(pid: int, message: str, detail: str | None = None, db: str = "capture") -> dict[str, Any]:
        return {"pid": pid, "dbname": db, "message": message, "detail": detail}

    entries = [
        entry(5, "execute __asyncpg_stmt_1__: SELECT 0"),
        entry(9, f"statement: SELECT '{floors.MARKER}:t:begin'"),
        entry(5, "statement: BEGIN;"),
        entry(
            5,
            "execute __asyncpg_stmt_2__: SELECT a\n  FROM t WHERE x = $1 AND y = $2",
            "parameters: $1 = 'it''s', $2 = NULL",
        ),
        entry(6, "execute <unnamed>: SELECT 2", db="elsewhere"),
        entry(5, "duration: 1.0 ms"),
        entry(9, "statement: SELECT 3"),
        entry(9, f"statement: SELECT '{floors.MARKER}:t:end'"),
        entry(5, "execute __asyncpg_stmt_3__: SELECT 4"),
    ]

    assert floors.statements_between(entries, "capture", "t") == [
        Statement(5, "BEGIN;", ()),
        Statement(5, "SELECT a FROM t WHERE x = $1 AND y = $2", ("it's", None)),
    ]


def test_an_unchanged_capture_passes_the_check(tmp_path: Path) -> None:
    floors.write(SPEC, CAPTURES, tmp_path)

    floors.check(SPEC, CAPTURES, tmp_path)


def test_changed_statements_stop_the_bench_naming_the_scenario_and_how_to_regenerate(tmp_path: Path) -> None:
    floors.write(SPEC, CAPTURES, tmp_path)
    changed = [
        Capture([*c.statements[:2], Statement(1, "SELECT pg_sleep(0)", ()), *c.statements[2:]], c.values)
        for c in CAPTURES
    ]

    with pytest.raises(FloorOutdated) as outdated:
        floors.check(SPEC, changed, tmp_path)

    message = str(outdated.value)
    assert SPEC.scenario in message
    assert "uv run just bench --regenerate-floors" in message
    assert "+SELECT pg_sleep(0)" in message


def test_a_floor_never_generated_stops_the_bench(tmp_path: Path) -> None:
    with pytest.raises(FloorOutdated, match="has not been generated"):
        floors.check(SPEC, CAPTURES, tmp_path)


@pytest.mark.parametrize("statements", sorted(floors.FLOORS_DIR.glob("*.statements")), ids=lambda p: p.stem)
def test_each_committed_fingerprint_is_whole_and_has_its_script(statements: Path) -> None:
    header, _, body = statements.read_text().partition("\n")
    lines = body.splitlines()

    assert header == f"# sha256 {hashlib.sha256(chr(10).join(lines).encode()).hexdigest()}"
    assert statements.with_suffix(".sql").is_file()


def test_ids_taken_by_a_read_come_from_its_last_row_and_an_array_of_them_stays_one_variable() -> None:
    taken = (r"SELECT .* AS new_order_id, .* AS new_line_ids FROM products ", "\\aset")
    spec = FloorSpec(
        name="place-order",
        scenario="place order, tracked stock (8 customers)",
        prelude="\\set product_a random(1, 10)\n\\set product_b random(11, 20)\n\\set user_id random(1, 8)",
        generated={"new_order_id": taken, "new_line_ids": taken},
    )
    read = (
        "SELECT p.id, (SELECT nextval('orders_id_seq')) AS new_order_id, (SELECT ARRAY(SELECT 1)) AS "
        "new_line_ids FROM products p WHERE p.id = ANY($1::bigint[])"
    )
    write = "INSERT INTO orders (id, user_id) SELECT $1::bigint, $2::bigint FROM unnest($3::bigint[]) w(id)"

    def capture(user: int, a: int, b: int, order: int) -> Capture:
        lines = f"{{{order * 10},{order * 10 + 1}}}"
        return Capture(
            [
                Statement(1, read, (f"{{{a},{b}}}",)),
                Statement(1, write, (str(order), str(user), lines)),
            ],
            {
                "user_id": str(user),
                "product_a": str(a),
                "product_b": str(b),
                "new_order_id": str(order),
                "new_line_ids": lines,
            },
        )

    captures = [capture(11, 2, 14, 70), capture(12, 5, 19, 71), capture(13, 7, 12, 72)]
    script = floors.pgbench_script(spec, captures)

    assert "WHERE p.id = ANY(ARRAY[:product_a, :product_b]::bigint[]) \\aset" in script
    assert "SELECT :new_order_id::bigint, :user_id::bigint FROM unnest(:new_line_ids::bigint[])" in script
    assert script.count("\\aset") == 1
