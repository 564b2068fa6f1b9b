"""Malformed bodies are 400, broken rules 422: swept over the app's own OpenAPI document.

Malformed — not JSON, not UTF-8 anywhere (strings included), nested deeper than 32
levels — is 400 on every route that takes a body. A money value is a string of ASCII
digits with at most two decimals or a JSON number at its exact value: anything else is
422 naming the field, in every body and query that takes money. An id beyond the
database's range is simply not found. Requests carry an admin token, so that what is
judged is the input, not the caller.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.conftest import Api
from tests.e2e.openapi_sweep import (
    Operation,
    body_with,
    field_name,
    is_integer,
    is_money,
    money_fields,
    operations,
    scalar_fields,
)

PROBLEM_JSON = "application/problem+json"

MALFORMED: dict[str, bytes] = {
    "invalid UTF-8 in a string": b'{"email": "\xff@example.com", "password": "password-123"}',
    "invalid UTF-8 in a key": b'{"\xc3\x28": 1}',
    "an encoded surrogate in a string": b'{"name": "\xed\xa0\x80"}',
    "an overlong encoding in a string": b'{"name": "\xc0\xaf"}',
    "a lone surrogate escape": b'{"name": "\\ud800"}',
    "invalid UTF-8 outside strings": b'{"name": 1\xff}',
    "arrays nested 33 deep": b"[" * 33 + b"]" * 33,
    "objects nested 33 deep": b'{"a":' * 33 + b"1" + b"}" * 33,
    "nested 1000 deep": b"[" * 1000 + b"]" * 1000,
    "nested 100000 deep, unclosed": b"[" * 100_000,
    "truncated JSON": b'{"name": "Dune", "price": "1',
    "not JSON": b"name=Dune&price=1",
    "a Python literal": b"{'name': 'Dune'}",
    "NaN": b'{"price": NaN}',
    "control bytes": b"\x00\x01\x02",
    "a byte-order mark": b'\xef\xbb\xbf{"name": "Dune"}',
}

BAD_MONEY_STRINGS = [
    "1_000",
    "+5",
    " 5",
    "5 ",
    "5e2",
    "\u0665",
    "-5",
    "1.005",
    "12.",
    ".5",
    "NaN",
    "Infinity",
    "0x10",
]
BAD_MONEY_JSON = [json.dumps(text) for text in BAD_MONEY_STRINGS] + ["1e400", "-1e400", "1.005", "-5", "true"]


async def document(api: Api) -> dict[str, Any]:
    response = await api.client.get("/docs/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def with_body(doc: dict[str, Any]) -> list[Operation]:
    return [op for op in operations(doc) if op.body_schemas()]


def assert_problem(response: Any, status: int, label: str) -> dict[str, Any]:
    assert response.status_code == status, f"{label}: {response.status_code} {response.text[:300]}"
    assert response.headers["content-type"].startswith(PROBLEM_JSON), label
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status, label
    return problem


# ---- malformed: 400 on every route that takes a body ---------------------------------


@pytest.mark.parametrize("kind", list(MALFORMED))
async def test_a_malformed_body_is_400_on_every_route_that_takes_one(api: Api, kind: str) -> None:
    admin = await api.admin()
    doc = await document(api)
    targets = with_body(doc)
    assert len(targets) >= 7, [op.label for op in targets]
    for op in targets:
        response = await api.client.request(
            op.method,
            op.concrete_path(),
            content=MALFORMED[kind],
            headers={**admin, "Content-Type": "application/json"},
        )
        problem = assert_problem(response, 400, f"{op.label} with {kind}")
        assert "errors" not in problem


async def test_a_json_null_body_is_422_and_an_empty_body_400_on_every_route_that_takes_one(api: Api) -> None:
    """`null` is well-formed JSON that breaks the body's rule; no body at all is malformed."""
    admin = await api.admin()
    doc = await document(api)
    targets = [op for op in with_body(doc) if "application/json" in op.body_schemas()]
    assert len(targets) >= 7, [op.label for op in targets]
    for op in targets:
        headers = {**admin, "Content-Type": "application/json"}
        response = await api.client.request(op.method, op.concrete_path(), content=b"null", headers=headers)
        assert_problem(response, 422, f"{op.label} with null")
        schema = op.body_schemas()["application/json"]
        if {"type": "null"} in schema.get("oneOf", []):
            continue  # an optional body (a payment's start): absent means the defaults
        response = await api.client.request(op.method, op.concrete_path(), content=b"", headers=headers)
        assert_problem(response, 400, f"{op.label} with no body")


async def test_a_webhook_body_is_judged_before_its_signature(api: Api) -> None:
    for kind, body in MALFORMED.items():
        response = await api.client.post(
            "/api/v1/payments/webhook/mock", content=body, headers={"Content-Type": "application/json"}
        )
        assert_problem(response, 400, kind)


async def test_thirty_two_levels_are_well_formed(api: Api) -> None:
    """The limit is inclusive: 32 levels are read, and the body is judged by the route's rules."""
    admin = await api.admin()
    for body in (b"[" * 32 + b"]" * 32, b'{"a":' * 32 + b"1" + b"}" * 32):
        for op in with_body(await document(api)):
            response = await api.client.request(
                op.method,
                op.concrete_path(),
                content=body,
                headers={**admin, "Content-Type": "application/json"},
            )
            assert_problem(response, 422, op.label)


async def test_deep_nesting_inside_strings_is_just_text(api: Api) -> None:
    body = json.dumps({"email": "[" * 5000 + "@example.com", "password": "{" * 100}).encode()
    response = await api.client.post(
        "/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 422, "brackets in strings")


@pytest.mark.parametrize(
    "form",
    [
        b"username=%FF%FE&password=password-123",
        b"username=\xff@example.com&password=password-123",
        b"username=a&password=%C3%28",
    ],
)
async def test_a_login_form_that_is_not_utf8_is_400(api: Api, form: bytes) -> None:
    response = await api.client.post(
        "/api/v1/auth/login", content=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_problem(response, 400, repr(form))


async def test_a_utf8_login_form_still_logs_in(api: Api) -> None:
    await api.register("zoë@example.com", "pässword-123")
    form = "username=zo%C3%AB%40example.com&password=p%C3%A4ssword-123"
    response = await api.client.post(
        "/api/v1/auth/login", content=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200, response.text


async def test_a_well_formed_body_is_still_read_whatever_its_content_type_says(api: Api) -> None:
    body = json.dumps({"email": "ann@example.com", "password": "password-123"}).encode()
    for content_type in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
        response = await api.client.post(
            "/api/v1/auth/register", content=body, headers={"Content-Type": content_type}
        )
        assert response.status_code in (201, 409), (content_type, response.text)


# ---- money: one type, refused alike in every body and query --------------------------


async def test_every_money_field_in_a_body_refuses_what_is_not_money(api: Api) -> None:
    admin = await api.admin()
    doc = await document(api)
    swept = 0
    for op in with_body(doc):
        schema = op.body_schemas().get("application/json")
        if schema is None:
            continue
        for at in money_fields(doc, schema):
            swept += 1
            for raw in BAD_MONEY_JSON:
                response = await api.client.request(
                    op.method,
                    op.concrete_path(),
                    content=body_with(at, raw),
                    headers={**admin, "Content-Type": "application/json"},
                )
                problem = assert_problem(response, 422, f"{op.label} {field_name(at)}={raw}")
                assert field_name(at) in [e["field"] for e in problem["errors"]], (op.label, raw, problem)
    assert swept >= 2, "the document names no money fields in bodies"


# A string is never read as the integer or boolean it spells, in any body.
STRINGS_FOR = {"integer": ['"1"', '"0"', '"-1"', '""'], "boolean": ['"true"', '"false"', '"1"', '""']}


@pytest.mark.parametrize("kind", sorted(STRINGS_FOR))
async def test_every_integer_or_boolean_body_field_given_as_a_string_is_422(api: Api, kind: str) -> None:
    admin = await api.admin()
    await api.client.post("/api/v1/products", json={"name": "Tea", "price": "1.00"}, headers=admin)
    doc = await document(api)
    swept = set()
    for op in with_body(doc):
        schema = op.body_schemas().get("application/json")
        if schema is None:
            continue
        for at in scalar_fields(doc, schema, kind):
            swept.add(f"{op.path} {field_name(at)}")
            for raw in STRINGS_FOR[kind]:
                response = await api.client.request(
                    op.method,
                    op.concrete_path(),
                    content=body_with(at, raw),
                    headers={**admin, "Content-Type": "application/json"},
                )
                problem = assert_problem(response, 422, f"{op.label} {field_name(at)}={raw}")
                assert field_name(at) in [e["field"] for e in problem["errors"]], (op.label, raw, problem)
    expected = {
        "integer": {"/api/v1/orders items[0].product_id", "/api/v1/orders items[0].quantity"},
        "boolean": {"/api/v1/products/{product_id} is_active"},
    }[kind]
    assert swept >= expected, swept


async def test_an_order_with_an_id_as_a_string_places_nothing(api: Api) -> None:
    customer = await api.customer()
    admin = await api.admin()
    await api.client.post("/api/v1/products", json={"name": "Tea", "price": "1.00"}, headers=admin)
    body = {"items": [{"product_id": "1", "quantity": 1}]}
    response = await api.client.post("/api/v1/orders", json=body, headers=customer)
    problem = assert_problem(response, 422, "product_id as a string")
    assert [e["field"] for e in problem["errors"]] == ["items[0].product_id"]


async def test_every_money_query_parameter_refuses_what_is_not_money(api: Api) -> None:
    doc = await document(api)
    swept = 0
    for op in operations(doc):
        for parameter in op.parameters("query"):
            if not is_money(doc, parameter.get("schema", {})):
                continue
            swept += 1
            for raw in [*BAD_MONEY_STRINGS, "1e400", ""]:
                url = f"{op.concrete_path()}?{parameter['name']}={quote(raw)}"
                problem = assert_problem(await api.client.request(op.method, url), 422, url)
                assert parameter["name"] in [e["field"] for e in problem["errors"]], (url, problem)
            response = await api.client.request(op.method, f"{op.concrete_path()}?{parameter['name']}=12.5")
            assert response.status_code == 200, response.text
    assert swept >= 2, "the document names no money query parameters"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ('"12"', "12.00"),
        ('"12.5"', "12.50"),
        ('"12.50"', "12.50"),
        ('"0012.50"', "12.50"),
        ("19.99", "19.99"),
        ("0.1", "0.10"),
        ("7", "7.00"),
        ("1e2", "100.00"),
        ("1.50", "1.50"),
        ("1.500", "1.50"),
        ("99999999.99", "99999999.99"),
        ("12345678.91", "12345678.91"),
    ],
)
async def test_money_is_taken_at_its_exact_decimal_value(api: Api, raw: str, stored: str) -> None:
    admin = await api.admin()
    category = await api.client.post(
        "/api/v1/categories", json={"name": "Books", "slug": "books"}, headers=admin
    )
    body = f'{{"name": "Dune", "price": {raw}, "category_id": {category.json()["id"]}}}'.encode()
    response = await api.client.post(
        "/api/v1/products", content=body, headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["price"] == stored


@pytest.mark.parametrize(
    "raw", ["1.001", "99999999.999", "0.0000000000000000000001", "1e-3", "1E400", "-0.01"]
)
async def test_a_json_number_beyond_two_decimals_or_range_is_422(api: Api, raw: str) -> None:
    admin = await api.admin()
    body = f'{{"name": "Dune", "price": {raw}, "category_id": 1}}'.encode()
    response = await api.client.post(
        "/api/v1/products", content=body, headers={**admin, "Content-Type": "application/json"}
    )
    problem = assert_problem(response, 422, raw)
    assert [e["field"] for e in problem["errors"]] == ["price"]


# ---- ids beyond the database's range are not found -----------------------------------

HUGE_IDS = [2**63, 99999999999999999999, 10**30]


@pytest.mark.parametrize("product_id", HUGE_IDS)
async def test_an_order_for_a_product_id_beyond_range_is_404_naming_it(api: Api, product_id: int) -> None:
    ann = await api.customer()
    body = f'{{"items": [{{"product_id": {product_id}, "quantity": 1}}]}}'.encode()
    response = await api.client.post(
        "/api/v1/orders", content=body, headers={**ann, "Content-Type": "application/json"}
    )
    problem = assert_problem(response, 404, str(product_id))
    assert str(product_id) in problem["detail"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"x": 1E+999999999999999999999}',
        b"[1e-1000000000000000000000000000]",
        b'{"a": [-9E9999999999999999999]}',
    ],
    ids=["huge-exponent", "tiny-exponent", "nested"],
)
async def test_a_number_whose_exponent_no_decimal_holds_is_422_on_every_route_that_takes_json(
    api: Api, body: bytes
) -> None:
    """Python's Decimal refuses exponents beyond about ±10¹⁸ (decimal.InvalidOperation): the body
    gate answers such a number as any number out of range, before any route or layer reads it."""
    admin = await api.admin()
    doc = await document(api)
    targets = [op for op in with_body(doc) if "application/json" in op.body_schemas()]
    assert len(targets) >= 7, [op.label for op in targets]
    for op in targets:
        headers = {**admin, "Content-Type": "application/json"}
        response = await api.client.request(op.method, op.concrete_path(), content=body, headers=headers)
        assert_problem(response, 422, f"{op.label} with {body!r}")


async def test_an_integer_with_more_digits_than_any_type_holds_is_422(api: Api) -> None:
    ann = await api.customer()
    body = b'{"items": [{"product_id": 1' + b"0" * 5000 + b', "quantity": 1}]}'
    response = await api.client.post(
        "/api/v1/orders", content=body, headers={**ann, "Content-Type": "application/json"}
    )
    assert_problem(response, 422, "5000 digits")


async def test_every_id_in_a_path_beyond_range_is_404(api: Api) -> None:
    admin = await api.admin()
    doc = await document(api)
    swept = 0
    for op in operations(doc):
        ids = [p["name"] for p in op.parameters("path") if is_integer(doc, p.get("schema", {}))]
        for name in ids:
            swept += 1
            for huge in HUGE_IDS:
                response = await api.client.request(
                    op.method,
                    op.concrete_path(**{name: str(huge)}),
                    content=b"{}" if op.body_schemas() else b"",
                    headers={**admin, "Content-Type": "application/json"},
                )
                assert_problem(response, 404, f"{op.label} {name}={huge}")
    assert swept >= 10


async def test_every_id_in_a_query_beyond_range_finds_nothing(api: Api) -> None:
    admin = await api.admin()
    doc = await document(api)
    swept = 0
    for op in operations(doc):
        for parameter in op.parameters("query"):
            name = parameter["name"]
            if not (name.endswith("_id") and is_integer(doc, parameter.get("schema", {}))):
                continue
            swept += 1
            for huge in HUGE_IDS:
                response = await api.client.request(
                    op.method, f"{op.concrete_path()}?{name}={huge}", headers=admin
                )
                assert response.status_code == 200, f"{op.label} {name}={huge}: {response.text[:200]}"
                assert response.json() == []
    assert swept >= 1


# ---- the document's bounds are the enforced ones ----------------------------------------


async def test_every_integer_query_bound_is_exact_and_is_the_enforced_one(api: Api) -> None:
    """An integer bound written as a float (2**63 - 1 becomes 9.223372036854776e18) would
    promise values the API refuses: each bound is an exact integer, taken at the bound and
    refused one beyond it."""
    admin = await api.admin()
    doc = await document(api)
    swept = set()
    for op in operations(doc):
        if op.method != "get":
            continue
        for parameter in op.parameters("query"):
            schema = parameter.get("schema", {})
            if schema.get("type") != "integer":
                continue
            for bound, beyond in (("maximum", 1), ("minimum", -1)):
                if bound not in schema:
                    continue
                value = schema[bound]
                assert isinstance(value, int), (op.label, parameter["name"], bound, value)
                url = f"{op.concrete_path()}?{parameter['name']}={value}"
                taken = await api.client.get(url, headers=admin)
                # Taken: the list, or (under an id that names nothing yet) not found.
                assert taken.status_code == (404 if "{" in op.path else 200), (url, taken.text)
                url = f"{op.concrete_path()}?{parameter['name']}={value + beyond}"
                assert_problem(await api.client.get(url, headers=admin), 422, url)
                swept.add((op.path, parameter["name"], bound))
    assert ("/api/v1/products", "offset", "maximum") in swept
    assert ("/api/v1/users", "limit", "maximum") in swept


async def test_a_price_is_documented_as_greater_than_zero_and_zero_is_refused(api: Api) -> None:
    admin = await api.admin()
    doc = await document(api)
    for name in ("ProductIn", "ProductPatch"):
        price = doc["components"]["schemas"][name]["properties"]["price"]
        arms = price.get("oneOf") or [price]
        money = next(arm for arm in arms if arm.get("title") == "Money")
        assert money["exclusiveMinimum"] == 0 and "minimum" not in money, (name, money)
        assert money["maximum"] == 99999999.99
        pattern = re.compile(money["pattern"])
        for zero in ("0", "00", "0.0", "0.00"):
            assert not pattern.search(zero), (name, zero)
        for positive in ("0.01", "0.5", "1", "149.90"):
            assert pattern.search(positive), (name, positive)
    for raw in ("0", "0.00", 0, "100000000.00"):
        response = await api.client.post(
            "/api/v1/products", json={"name": "Tea", "price": raw}, headers=admin
        )
        problem = assert_problem(response, 422, f"price {raw!r}")
        assert [e["field"] for e in problem["errors"]] == ["price"]


async def test_a_refund_amount_is_documented_as_greater_than_zero(api: Api) -> None:
    doc = await document(api)
    amount = doc["components"]["schemas"]["RefundIn"]["properties"]["amount"]
    arms = amount.get("oneOf") or amount.get("anyOf") or [amount]
    money = next(arm for arm in arms if arm.get("title") == "Money")
    assert money["exclusiveMinimum"] == 0 and "minimum" not in money, money
    pattern = re.compile(money["pattern"])
    assert not any(pattern.search(zero) for zero in ("0", "00", "0.0", "0.00"))
    assert all(pattern.search(positive) for positive in ("0.01", "1", "149.90"))
    reason = doc["components"]["schemas"]["RefundIn"]["properties"]["reason"]
    assert "not blank" in str(reason), reason
