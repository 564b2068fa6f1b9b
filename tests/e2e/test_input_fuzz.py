"""Raw-input fuzzing over every operation of the app's OpenAPI document: nothing is a 5xx.

Where the schema fuzz (test_schema_fuzz.py) generates requests the schema describes or
nearly so, this one sends what no client should: random bytes, invalid UTF-8, deep
nesting, NUL and control characters, over-long strings, huge and out-of-range numbers
and wrong content types, in bodies, path parameters and query parameters. Every answer
must be a 4xx (or a success): never a 5xx.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.openapi_sweep import Operation, is_integer, operations, resolve
from tests.e2e.test_schema_fuzz import LiveApp, live_app  # noqa: F401 - the fixture, used by name

MAX_EXAMPLES = 150

# ---- values ----------------------------------------------------------------------------

CONTROL = st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Co"])
nasty_text = st.one_of(
    st.text(CONTROL, min_size=1, max_size=8),
    st.text(max_size=20).map(lambda text: f"{text}\x00{text}"),
    st.sampled_from(["\x00", "a\x00b", "\u200b", "\u202e", "\ufeff", "\u0665", "\U0001f600", " ", ""]),
    st.integers(min_value=300, max_value=20_000).map(lambda size: "x" * size),
    st.text(max_size=40),
)
huge_numbers = st.one_of(
    st.sampled_from(["1e400", "-1e400", "1e-400", "1.7976931348623157e309", "-0", "0.0", "1E+2"]),
    st.integers(min_value=63, max_value=4_000).map(lambda bits: str(2**bits)),
    st.integers(min_value=63, max_value=4_000).map(lambda bits: str(-(2**bits))),
    st.sampled_from(["9" * 5000, "-" + "9" * 5000, "1" + "0" * 400 + ".5"]),
)
path_values = st.one_of(
    huge_numbers,
    st.integers().map(str),
    nasty_text,
    st.sampled_from(["%FF", "%C3%28", "%ED%A0%80", "%00", "%2F", "..", "%25"]),
)
query_values = st.one_of(
    huge_numbers,
    nasty_text,
    st.sampled_from(["NaN", "Infinity", "-Infinity", "true", "null", "[]", "{}", "1_000", "+5", "٥"]),
)


def deep(depth: int, opener: str) -> bytes:
    if opener == "[":
        return ("[" * depth + "]" * depth).encode()
    return ('{"a":' * depth + "1" + "}" * depth).encode()


def json_value(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=8,
    )


@dataclass
class Body:
    content: bytes
    content_type: str | None


def shaped_bodies(document: dict[str, Any], op: Operation) -> st.SearchStrategy[bytes]:
    """The operation's own fields, filled with values no field should take."""
    schema = resolve(document, next(iter(op.body_schemas().values()), {}))
    names = list(schema.get("properties", {})) or ["name"]
    raw_leaf = st.one_of(
        nasty_text.map(json.dumps),
        huge_numbers,
        st.sampled_from(
            ['"\\u0000"', '"\\ud800"', '"\\udfff\\ud800"', "true", "null", "[]", "{}", '"1_000"']
        ),
    )
    return st.dictionaries(st.sampled_from(names), raw_leaf, min_size=1).map(
        lambda fields: ("{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in fields.items()) + "}").encode()
    )


def bodies(document: dict[str, Any], op: Operation) -> st.SearchStrategy[Body]:
    content = st.one_of(
        st.binary(max_size=200),
        st.binary(max_size=50).map(lambda junk: b'{"name": "' + junk + b'"}'),
        st.tuples(st.integers(min_value=1, max_value=3000), st.sampled_from(["[", "{"])).map(
            lambda d: deep(*d)
        ),
        shaped_bodies(document, op),
        json_value(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10))).map(
            lambda value: json.dumps(value).encode()
        ),
        st.just(b'{"name": "' + b"x" * 500_000 + b'"}'),
    )
    content_type = st.sampled_from(
        [
            "application/json",
            "application/json; charset=latin-1",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "multipart/form-data; boundary=xyz",
            "application/xml",
            "application/msgpack",
            None,
        ]
    )
    return st.builds(Body, content, content_type)


@dataclass
class Case:
    op: Operation
    url: str
    body: Body | None


def cases(document: dict[str, Any], ops: list[Operation]) -> st.SearchStrategy[Case]:
    def for_operation(op: Operation) -> st.SearchStrategy[Case]:
        path_params = {p["name"]: p for p in op.parameters("path")}
        query_params = [p["name"] for p in op.parameters("query")] + ["unknown"]
        fuzzed_path = st.fixed_dictionaries(
            {name: st.one_of(st.just("1"), path_values) for name in path_params}
        )
        query = st.lists(st.tuples(st.sampled_from(query_params), query_values), max_size=3)
        body = (
            bodies(document, op) if op.body_schemas() or op.method in ("post", "patch", "put") else st.none()
        )

        def build(path: dict[str, str], pairs: list[tuple[str, str]], content: Body | None) -> Case:
            # Percent-escapes from the pool stay as written; anything else is escaped.
            filled = {
                name: value if value.startswith("%") and len(value) <= 9 else quote(value, safe="")
                for name, value in path.items()
            }
            url = op.concrete_path(**filled)
            if pairs:
                url += "?" + "&".join(f"{quote(name)}={quote(value, safe='')}" for name, value in pairs)
            return Case(op, url, content)

        return st.builds(build, fuzzed_path, query, body)

    return st.sampled_from(ops).flatmap(for_operation)


def test_no_raw_input_makes_the_api_answer_5xx(live_app: LiveApp) -> None:  # noqa: F811 - the fixture
    document = httpx.get(f"{live_app.base_url}/docs/openapi.json").json()
    ops = operations(document)
    assert len(ops) >= 14
    failures: list[str] = []
    sent: dict[str, int] = {}
    statuses: set[int] = set()

    @given(case=cases(document, ops))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case) -> None:
        headers = dict(live_app.admin_headers())
        content = None
        if case.body is not None:
            content = case.body.content
            if case.body.content_type is not None:
                headers["Content-Type"] = case.body.content_type
        try:
            response = httpx.request(
                case.op.method, f"{live_app.base_url}{case.url}", content=content, headers=headers, timeout=60
            )
        finally:
            if case.url.endswith(("/logout", "/deactivate")):
                live_app.token_may_be_spent()
        sent[case.op.label] = sent.get(case.op.label, 0) + 1
        statuses.add(response.status_code)
        if response.status_code >= 500:
            shown = (content or b"")[:120]
            failures.append(
                f"{response.status_code} {case.op.method.upper()} {case.url[:160]} body={shown!r}"
            )

    run()
    assert not failures, "\n".join(sorted(set(failures))[:40])
    assert len(sent) >= len(ops) * 2 // 3, f"only {len(sent)} of {len(ops)} operations were reached"
    # The inputs got past the parsers as far as each kind of refusal, not stuck at one.
    assert {400, 404, 422} <= statuses, sorted(statuses)


def test_the_fuzzed_operations_have_bodies_and_integer_ids(live_app: LiveApp) -> None:  # noqa: F811
    document = httpx.get(f"{live_app.base_url}/docs/openapi.json").json()
    ops = operations(document)
    assert sum(1 for op in ops if op.body_schemas()) >= 7
    assert any(is_integer(document, p.get("schema", {})) for op in ops for p in op.parameters("path"))


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
