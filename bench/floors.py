"""The write scenarios' database floors: the app's own statements, captured, replayed by pgbench.

For each write scenario, the statements the API sends for one request are captured from
PostgreSQL's statement log (`log_statement = 'all'` on a private cluster, see bench/pgcluster.py),
three times with different inputs. Their normalised sequence (statement names dropped, `$n`
placeholders kept) is the scenario's *fingerprint*, committed as `bench/floors/<name>.statements`;
the pgbench script made from them is `bench/floors/<name>.sql`:

- a parameter equal to one of the request's inputs in all three captures becomes that pgbench
  variable (`:product_a`, `:user_id`…, drawn per transaction by the script's `\\set` lines), or
  `:input % m` when it is that in all three (the catalog-version shard);
- a value the database generated (the new order's id) comes from `\\gset` or `\\aset` on the
  statement that returned it;
- other parameters that differ between captures: a timestamp becomes `now()`, a random-looking
  token `md5(random()::text)`, anything else the first capture's value, as is every parameter
  the same in all three.

Every bench run captures again and compares with the committed fingerprint: when the app's
statements changed and the floor was not regenerated, the run stops and says so
(`uv run just bench --regenerate-floors` writes both files anew).
"""

from __future__ import annotations

import asyncio
import difflib
import hashlib
import json
import math
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from bench.load import Result

FLOORS_DIR = Path(__file__).resolve().parent / "floors"
REGENERATE = "uv run just bench --regenerate-floors"
CAPTURES = 3
CLIENTS = 64
THREADS = 2
MARKER = "storefront-bench-capture"


class FloorOutdated(RuntimeError):
    """The app's statements for a scenario differ from the committed floor's fingerprint."""


class FloorMissing(RuntimeError):
    """The scenario cannot be captured (its route does not exist yet)."""


@dataclass(frozen=True)
class Statement:
    session: int
    sql: str  # as the app sent it, statement name dropped, whitespace collapsed
    params: tuple[str | None, ...]


@dataclass
class Capture:
    """One request's statements and the values of its inputs (`values`: pgbench variable → text)."""

    statements: list[Statement]
    values: dict[str, str]


@dataclass(frozen=True)
class FloorSpec:
    """How to capture one write scenario and make its pgbench script.

    `request(i)` sends the i-th captured request and returns its inputs' values by variable
    name; `prelude` are the pgbench lines that draw those inputs per transaction (they may use
    the `-D` variables `defines` returns for the bench database); `generated` maps a variable
    the database makes to `(pattern, command)`: the first statement matching the regular
    expression `pattern` returns it, and ends with the pgbench `command` that stores it
    (`\\gset <prefix>` for one row, `\\aset` for the last of several).
    """

    name: str  # the file stem under bench/floors/
    scenario: str  # the bench scenario it sits beside
    prelude: str
    generated: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # SQL run once after each pgbench run: what the floor's transactions left that the app's
    # processes would otherwise act on (not measured).
    afterwards: str = ""


def inserted_into(table: str, prefix: str) -> tuple[str, str]:
    """`generated`'s entry for an id made by an INSERT … RETURNING into `table` (or a WITH whose
    first data-modifying CTE is that INSERT: order and lines in one statement), whose first
    output column is the new row's id: `\\gset <prefix>`."""
    return rf"(WITH \w+ AS \(\s*)?INSERT INTO {re.escape(table)}\b.* RETURNING ", f"\\gset {prefix}"


# ---- reading the log ---------------------------------------------------------------------

_EXECUTE = re.compile(r"^(?:execute [^:]+|statement): (.*)$", re.DOTALL)
_PARAM = re.compile(r"\$(\d+) = (NULL|'((?:[^']|'')*)')")


def normalise(sql: str) -> str:
    return " ".join(sql.split())


def statements_between(entries: Sequence[Mapping[str, Any]], database: str, token: str) -> list[Statement]:
    """The app's statements logged between our `begin` and `end` markers for `token`."""
    begin, end = f"{MARKER}:{token}:begin", f"{MARKER}:{token}:end"
    inside = False
    own: set[int] = set()
    found: list[Statement] = []
    for entry in entries:
        message = entry.get("message") or ""
        if begin in message:
            inside = True
            own.add(int(entry["pid"]))
            continue
        if end in message:
            return found
        if not inside or entry.get("dbname") != database or int(entry.get("pid", 0)) in own:
            continue
        match = _EXECUTE.match(message)
        if match is None:
            continue
        params: dict[int, str | None] = {}
        detail = entry.get("detail") or ""
        if detail.startswith("parameters:"):
            for number, raw, quoted in _PARAM.findall(detail):
                params[int(number)] = None if raw == "NULL" else quoted.replace("''", "'")
        ordered = tuple(params.get(n) for n in range(1, max(params, default=0) + 1))
        found.append(Statement(int(entry["pid"]), normalise(match.group(1)), ordered))
    raise RuntimeError(f"the statement log has no end marker for capture {token}")


# ---- from captures to a pgbench script ---------------------------------------------------

_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d")
_RANDOM_TOKEN = re.compile(r"[0-9a-f]{16,}|[0-9A-Za-z_-]{20,}")
_PLACEHOLDER = re.compile(r"\$(\d+)")


def fingerprint_lines(statements: Sequence[Statement]) -> list[str]:
    return [statement.sql for statement in statements]


def fingerprint_text(lines: Sequence[str]) -> str:
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return f"# sha256 {digest}\n" + "".join(f"{line}\n" for line in lines)


def agreed(captures: Sequence[Capture], name: str) -> list[Capture]:
    """The captures whose statement sequence most captures share (a background job of the app
    may add statements to one of them); fails when no two agree."""
    counts = Counter(tuple(fingerprint_lines(c.statements)) for c in captures)
    sequence, times = counts.most_common(1)[0]
    if times < 2:
        shown = "\n\n".join("\n".join(fingerprint_lines(c.statements)) for c in captures)
        raise RuntimeError(f"{name}: no two captures of the same request sent the same statements:\n{shown}")
    return [c for c in captures if tuple(fingerprint_lines(c.statements)) == sequence]


def _literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def _candidates(inputs: Sequence[str], captures: Sequence[Capture]) -> Iterator[tuple[str, str, list[int]]]:
    """Derived values of the numeric inputs, as (variable name, pgbench expression, the value in
    each capture): `a % m`, and the least and greatest of two inputs' `% m` (sharded counters
    touched in order)."""
    numeric = [var for var in inputs if all(re.fullmatch(r"\d+", c.values.get(var) or "") for c in captures)]
    values = {var: [int(c.values[var]) for c in captures] for var in numeric}
    for modulus in range(2, 257):
        for var in numeric:
            yield f"{var}_mod{modulus}", f":{var} % {modulus}", [v % modulus for v in values[var]]
        for i, a in enumerate(numeric):
            for b in numeric[i + 1 :]:
                pairs = list(zip(values[a], values[b], strict=True))
                ea, eb = f":{a} % {modulus}", f":{b} % {modulus}"
                yield (
                    f"least_{a}_{b}_mod{modulus}",
                    f"least({ea}, {eb})",
                    [min(x % modulus, y % modulus) for x, y in pairs],
                )
                yield (
                    f"greatest_{a}_{b}_mod{modulus}",
                    f"greatest({ea}, {eb})",
                    [max(x % modulus, y % modulus) for x, y in pairs],
                )


def _explain(
    values: Sequence[str | None], captures: Sequence[Capture], inputs: Sequence[str], derivable: Sequence[str]
) -> tuple[str, str | None] | None:
    """The variable the parameter equals in every capture, if any: (name, its `\\set`
    expression when derived from the inputs)."""
    for var in inputs:
        if all(v is not None and v == c.values.get(var) for v, c in zip(values, captures, strict=True)):
            return var, None
    if len(set(values)) > 1 and all(v is not None and re.fullmatch(r"\d+", v) for v in values):
        numbers = [int(v) for v in values if v is not None]
        for name, expression, derived in _candidates(derivable, captures):
            if derived == numbers:
                return name, expression
    return None


def _explain_array(
    values: Sequence[str | None], captures: Sequence[Capture], names: Sequence[str]
) -> str | None:
    """An array parameter (`{10204,10218}`) whose every element is an input in every capture:
    `ARRAY[:product_a, :product_b]`; else None."""
    if not all(v is not None and re.fullmatch(r"\{\d+(,\d+)*\}", v) for v in values):
        return None
    split = [(v or "")[1:-1].split(",") for v in values]
    if len({len(elements) for elements in split}) != 1:
        return None
    explained = []
    for position in range(len(split[0])):
        found = _explain([elements[position] for elements in split], captures, names, [])
        if found is None or found[1] is not None:
            return None
        explained.append(f":{found[0]}")
    return f"ARRAY[{', '.join(explained)}]"


def _explain_json(
    values: Sequence[str | None], captures: Sequence[Capture], names: Sequence[str]
) -> str | None:
    """A JSON object parameter (a job's payload, `{"refund_id": 10000009}`) whose every value is
    an input or a generated id in every capture: `format('{"refund_id": %s}', :refund_id::bigint)`
    (typed: pgbench's prepared mode sends it as a parameter, which `format` cannot infer), so
    that each transaction's row names its own id, as the app's do (a constant would name one
    refund that a job worker then looks for in vain); else None."""
    try:
        objects = [json.loads(v) if v is not None else None for v in values]
    except ValueError:
        return None
    if not all(isinstance(o, dict) and o for o in objects) or len({tuple(o) for o in objects}) != 1:  # type: ignore[arg-type]
        return None
    first: dict[str, Any] = objects[0]  # type: ignore[assignment]
    markers = {key: f"\u0000{n}\u0000" for n, key in enumerate(first)}
    template = json.dumps({key: markers[key] for key in first})
    arguments = []
    for key in first:
        found = _explain([str(o[key]) for o in objects], captures, names, [])  # type: ignore[index]
        if found is None or found[1] is not None:
            return None
        template = template.replace(json.dumps(markers[key]), "%s")
        arguments.append(f":{found[0]}::bigint" if str(first[key]).isdigit() else f":{found[0]}::text")
    if "'" in template or template.count("%") != len(arguments):
        return None
    for value, capture in zip(values, captures, strict=True):  # the template writes what the app wrote
        names_of = {f":{var}": capture.values.get(var, "") for var in names}
        if value != template % tuple(names_of[a.split("::")[0]] for a in arguments):
            return None
    return f"format('{template}', {', '.join(arguments)})"


def _substitute(sql: str, replacements: Mapping[int, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: replacements.get(int(m.group(1)), m.group(0)), sql)


def pgbench_script(spec: FloorSpec, captures: Sequence[Capture]) -> str:
    """The pgbench script that sends, per transaction, the statements the captures share."""
    first = captures[0]
    inputs = [var for var in first.values if var not in spec.generated]
    generated = list(spec.generated)
    derived: dict[str, str] = {}
    body: list[str] = []
    gset_done: set[str] = set()
    for index, statement in enumerate(first.statements):
        columns = list(zip(*(c.statements[index].params for c in captures), strict=True))
        replacements: dict[int, str] = {}
        for number, values in enumerate(columns, start=1):
            explained = _explain(values, captures, inputs + generated, inputs)
            array = None if explained is not None else _explain_array(values, captures, inputs + generated)
            payload = None if explained or array else _explain_json(values, captures, inputs + generated)
            if array is not None:
                replacements[number] = array
            elif payload is not None:
                replacements[number] = payload
            elif explained is not None:
                name, expression = explained
                if expression is not None:
                    derived[name] = expression
                replacements[number] = f":{name}"
            elif len(set(values)) == 1:
                replacements[number] = _literal(values[0])
            elif all(v is not None and _TIMESTAMP.match(v) for v in values):
                replacements[number] = "now()"
            elif all(v is not None and _RANDOM_TOKEN.search(v) for v in values):
                replacements[number] = "md5(random()::text)"
            else:
                replacements[number] = _literal(values[0])
        sql = _substitute(statement.sql, replacements)
        sql = sql.rstrip(";")
        ending = ";"
        for var, (pattern, command) in spec.generated.items():
            if var not in gset_done and re.match(pattern, sql):
                ending = f" {command}"
                gset_done.add(var)
        body.append(sql + ending)
    missing = set(spec.generated) - gset_done
    if missing:
        raise RuntimeError(
            f"{spec.name}: no statement returns {', '.join(sorted(missing))}:\n" + "\n".join(body)
        )
    lines = [
        f"-- The database floor of “{spec.scenario}”: the statements the API sends for one request,",
        "-- captured from PostgreSQL's statement log (bench/floors.py). Generated: do not edit;",
        f"-- regenerate with `{REGENERATE}`.",
        spec.prelude.strip(),
    ]
    lines += [f"\\set {name} {expression}" for name, expression in derived.items()]
    lines += body
    return "\n".join(lines) + "\n"


# ---- the committed files ------------------------------------------------------------------


def floor_paths(spec: FloorSpec, directory: Path = FLOORS_DIR) -> tuple[Path, Path]:
    return directory / f"{spec.name}.sql", directory / f"{spec.name}.statements"


def write(spec: FloorSpec, captures: Sequence[Capture], directory: Path = FLOORS_DIR) -> None:
    script, statements = floor_paths(spec, directory)
    directory.mkdir(parents=True, exist_ok=True)
    script.write_text(pgbench_script(spec, captures))
    statements.write_text(fingerprint_text(fingerprint_lines(captures[0].statements)))


def check(spec: FloorSpec, captures: Sequence[Capture], directory: Path = FLOORS_DIR) -> None:
    """Raise FloorOutdated when the captured statements are not the committed fingerprint's."""
    script, statements = floor_paths(spec, directory)
    now = fingerprint_text(fingerprint_lines(captures[0].statements))
    if not statements.exists() or not script.exists():
        raise FloorOutdated(
            f"the floor of “{spec.scenario}” has not been generated ({statements} is missing): "
            f"run `{REGENERATE}` and commit bench/floors/"
        )
    committed = statements.read_text()
    if committed != now:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                now.splitlines(keepends=True),
                fromfile=f"{statements.name} (committed)",
                tofile="the app's statements now",
            )
        )
        raise FloorOutdated(
            f"the app's statements for “{spec.scenario}” changed and its floor was not regenerated:\n"
            f"{diff}\nRegenerate the floor with `{REGENERATE}` and commit bench/floors/."
        )


# ---- capturing ----------------------------------------------------------------------------


@contextmanager
def marked(dsn: str, token: str) -> Iterator[None]:
    """Log a begin marker before the block and an end marker after it, from our own session."""

    async def say(text: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f"SELECT '{text}'")
        finally:
            await conn.close()

    asyncio.run(say(f"{MARKER}:{token}:begin"))
    yield
    asyncio.run(say(f"{MARKER}:{token}:end"))


def wait_for_marker(
    read_log: Callable[[], list[dict[str, Any]]], token: str, timeout: float = 10
) -> list[dict[str, Any]]:
    """The log once the end marker of `token` is in it (the log collector writes asynchronously)."""
    deadline = time.monotonic() + timeout
    end = f"{MARKER}:{token}:end"
    while True:
        entries = read_log()
        if any(end in (e.get("message") or "") for e in entries):
            return entries
        if time.monotonic() > deadline:
            raise RuntimeError(f"the statement log never showed the end marker of capture {token}")
        time.sleep(0.1)


# ---- the floor run ------------------------------------------------------------------------


def pgbench_connection(database_url: str) -> list[str]:
    url = make_url(database_url)
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    return [*args, url.database or "postgres"]


def free_connections(database_url: str) -> int:
    """Connections the server would still accept from a non-superuser's point of view."""

    async def count() -> int:
        conn = await asyncpg.connect(
            make_url(database_url).set(drivername="postgresql").render_as_string(False)
        )
        try:
            free: int = await conn.fetchval(
                "SELECT current_setting('max_connections')::int"
                " - current_setting('superuser_reserved_connections')::int"
                " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
            )
            return free
        finally:
            await conn.close()

    return asyncio.run(count())


async def _execute(database_url: str, sql: str) -> None:
    conn = await asyncpg.connect(make_url(database_url).set(drivername="postgresql").render_as_string(False))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def run_pgbench(
    spec: FloorSpec,
    database_url: str,
    defines: Mapping[str, str | int],
    seconds: float,
    work_dir: Path,
    clients: int = CLIENTS,
    directory: Path = FLOORS_DIR,
) -> Result:
    """pgbench -n -c 64 -j 2 -T seconds -M prepared -f bench/floors/<name>.sql on the database;
    p50/p99 from its per-transaction latency log."""
    script, _ = floor_paths(spec, directory)
    log_dir = work_dir / f"pgbench-{spec.name}-{time.monotonic_ns()}"
    log_dir.mkdir(parents=True)
    command = [
        "pgbench",
        "-n",
        "-c",
        str(clients),
        "-j",
        str(min(THREADS, clients)),
        "-T",
        str(max(1, round(seconds))),
        "-M",
        "prepared",
        "-f",
        str(script),
        "--log",
        f"--log-prefix={log_dir / 'tx'}",
        *[f"-D{name}={value}" for name, value in {**defines, "clients": clients}.items()],
        *pgbench_connection(database_url),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=False)  # noqa: S603
    if spec.afterwards:
        asyncio.run(_execute(database_url, spec.afterwards))
    output = run.stdout + run.stderr
    processed = re.search(r"number of transactions actually processed: (\d+)", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    aborted = len(re.findall(r"client \d+ aborted", output))
    if processed is None:
        raise RuntimeError(f"pgbench printed no result (exit {run.returncode}):\n{output[-3000:]}")
    latencies: list[int] = []
    for log in log_dir.glob("tx*"):
        for line in log.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[2].isdigit():
                latencies.append(int(fields[2]))
    latencies.sort()
    measured = re.search(r"duration: (\d+) s", output)
    duration = float(measured.group(1)) if measured else seconds

    def percentile(p: float) -> float:
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, max(0, math.ceil(len(latencies) * p) - 1))] / 1000

    errors = (int(failed.group(1)) if failed else 0) + aborted
    return Result(
        requests=int(processed.group(1)),
        seconds=duration,
        p50_ms=percentile(0.5),
        p99_ms=percentile(0.99),
        errors=errors,
        by_kind=(errors, 0, 0),
    )


def dump_json(captures: Sequence[Capture]) -> str:
    """The captures as JSON (for debugging a floor)."""
    return json.dumps(
        [{"values": c.values, "statements": [s.__dict__ for s in c.statements]} for c in captures], indent=2
    )
