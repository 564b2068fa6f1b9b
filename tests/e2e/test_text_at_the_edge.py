"""Text at the edge, swept over every route the app has: a NUL, another control character
or an over-long value in a path, a query, the `Idempotency-Key` header, a JSON body or a
webhook body gets its exact 4xx, on both databases — never a database error.

The routes and their parameters come from the app itself (its route table for paths, so
pages hidden from the document are swept too; its OpenAPI document for queries, headers and
bodies), so a route added later is swept without touching this file. Requests carry an
admin token, so that the text, not the caller, is what is judged.
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx
import msgspec
import pytest
from litestar import Litestar

from adapters.payments.mock.gateway import MockEventBody
from tests.e2e.conftest import Api
from tests.e2e.payment_flow import (
    WEBHOOK,
    WEBHOOK_SECRET,
    deliver,
    event,
    make_product,
    place_order,
    start_payment,
)

# A control character of each kind: NUL (PostgreSQL refuses it), another C0, DEL, a C1.
CONTROLS = {"NUL": "\x00", "C0": "\x01", "DEL": "\x7f", "C1": "\x85"}
METHODS = ("get", "post", "put", "patch", "delete")
Headers = dict[str, str]


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"payment_webhook_secret": WEBHOOK_SECRET}


async def document(api: Api) -> dict[str, Any]:
    response = await api.client.get("/docs/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return doc["components"]["schemas"][name]  # type: ignore[no-any-return]
    return schema


def is_string(schema: dict[str, Any]) -> bool:
    arms = schema.get("oneOf") or schema.get("anyOf") or [schema]
    return any(arm.get("type") == "string" for arm in arms)


def example_of(doc: dict[str, Any], schema: dict[str, Any]) -> Any:
    """What Swagger UI would prefill: the schema's example, else its default, else a
    placeholder for its type (the smallest allowed number, `"string"`)."""
    schema = resolve(doc, schema)
    if schema.get("examples"):
        return schema["examples"][0]
    if "example" in schema:
        return schema["example"]
    if "default" in schema:
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    arms = schema.get("oneOf") or schema.get("anyOf")
    if arms:
        arm = next((a for a in arms if a.get("type") != "null"), arms[0])
        return example_of(doc, {**{k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}, **arm})
    kind = schema.get("type")
    if kind == "object":
        return {name: example_of(doc, prop) for name, prop in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [example_of(doc, schema.get("items") or {})] * max(1, int(schema.get("minItems", 1)))
    if kind == "integer":
        return int(schema.get("minimum", 0))
    if kind == "number":
        return schema.get("minimum", 0)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return "string"


def parameter_example(doc: dict[str, Any], parameter: dict[str, Any]) -> Any:
    examples = parameter.get("examples")
    if isinstance(examples, dict) and examples:
        return next(iter(examples.values()))["value"]
    if "example" in parameter:
        return parameter["example"]
    return example_of(doc, parameter.get("schema") or {})


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def json_body_schema(doc: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    content = (operation.get("requestBody") or {}).get("content") or {}
    media = content.get("application/json")
    return resolve(doc, media["schema"]) if media else None


def fill_path(path: str, operation: dict[str, Any], doc: dict[str, Any], **values: str) -> str:
    for parameter in operation.get("parameters") or []:
        if parameter["in"] == "path":
            value = values.get(parameter["name"], parameter_example(doc, parameter))
            path = path.replace("{" + parameter["name"] + "}", str(value))
    return path


async def send(
    api: Api, method: str, url: str, headers: Mapping[str, str | bytes], body: Any = None, **options: Any
) -> Any:
    if body is not None:
        options["json"] = body
    raw = [
        (name.encode(), value if isinstance(value, bytes) else value.encode())
        for name, value in headers.items()
    ]
    return await api.client.request(method.upper(), url, headers=raw, **options)


def path_params_of(app: Litestar) -> list[tuple[str, str, str, int | None]]:
    """(method, path template, name of a string path parameter, its max length) for every
    route of the route table, hidden ones included (the API docs' own pages excepted)."""
    found = []
    for route in app.routes:
        if route.path.startswith("/docs"):
            continue
        for name, parameter in route.path_parameters.items():
            if parameter.type is not str:
                continue
            for handler in getattr(route, "route_handlers", ()):
                for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                    field = handler.parsed_fn_signature.parameters[name]
                    maximum = getattr(field.kwarg_definition, "max_length", None)
                    found.append((method, route.path, name, maximum))
    return found


def path_with(template: str, name: str, value: str) -> str:
    """The template with `value` for `name` and 1 for every other (integer) parameter."""
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: value if m[1] == name else "1", template)


# ---- paths ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(CONTROLS))
async def test_a_control_character_in_any_string_path_parameter_is_not_found(api: Api, kind: str) -> None:
    admin = await api.admin()
    doc = await document(api)
    bodies = {
        (method.upper(), path): example_of(doc, schema)
        for method, path, operation in operations(doc)
        if (schema := json_body_schema(doc, operation)) is not None
    }
    swept = path_params_of(api.client.app)
    assert {path for _, path, _, _ in swept} >= {
        "/api/v1/categories/{ref:str}",
        "/mock-checkout/{provider_payment_id:str}",
        "/api/v1/payments/webhook/{provider:str}",
    }
    for method, template, name, _ in swept:
        url = path_with(template, name, quote(f"ab{CONTROLS[kind]}c"))
        response = await send(
            api, method, url, admin, bodies.get((method, re.sub(r":[^}]*\}", "}", template)))
        )
        assert response.status_code == 404, (method, template, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_an_over_long_string_path_parameter_is_not_found(api: Api) -> None:
    admin = await api.admin()
    doc = await document(api)
    bodies = {
        (method.upper(), path): example_of(doc, schema)
        for method, path, operation in operations(doc)
        if (schema := json_body_schema(doc, operation)) is not None
    }
    for method, template, name, maximum in path_params_of(api.client.app):
        assert maximum is not None, f"{method} {template}: `{name}` has no maximum length"
        url = path_with(template, name, "a" * (maximum + 1))
        response = await send(
            api, method, url, admin, bodies.get((method, re.sub(r":[^}]*\}", "}", template)))
        )
        assert response.status_code == 404, (method, template, response.text)


async def test_a_control_character_in_a_numeric_path_segment_is_not_found(api: Api) -> None:
    admin = await api.admin()
    for url in ("/api/v1/products/1%00", "/api/v1/orders/1%01", "/api/v1/payments/1%7f"):
        assert (await api.client.get(url, headers=admin)).status_code == 404


# Each is read as 1 (or 10) by Python's int(): a sign, spaces, an underscore, non-ASCII digits.
LOOSE_INTEGERS = {
    "arabic-indic one": "%D9%A1",
    "fullwidth one": "%EF%BC%91",
    "plus sign": "+1",
    "minus zero": "-0",
    "leading space": "%201",
    "trailing space": "1%20",
    "underscore": "1_0",
    "devanagari one": "%E0%A5%A7",
}


def int_path_routes(app: Litestar) -> list[tuple[str, str]]:
    """(method, path template) for every route of the route table with an integer path
    parameter, hidden ones included."""
    return [
        (method, route.path)
        for route in app.routes
        if any(parameter.type is int for parameter in route.path_parameters.values())
        for handler in getattr(route, "route_handlers", ())
        for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"})
    ]


@pytest.mark.parametrize("kind", sorted(LOOSE_INTEGERS))
async def test_an_integer_path_parameter_is_ascii_digits_only_on_every_route(api: Api, kind: str) -> None:
    admin = await api.admin()
    for _ in range(10):
        await make_product(api)
    assert (await api.client.get("/api/v1/products/1", headers=admin)).status_code == 200
    doc = await document(api)
    bodies = {
        (method.upper(), path): example_of(doc, schema)
        for method, path, operation in operations(doc)
        if (schema := json_body_schema(doc, operation)) is not None
    }
    routes = int_path_routes(api.client.app)
    assert {template for _, template in routes} >= {
        "/api/v1/products/{product_id:int}",
        "/api/v1/orders/{order_id:int}",
        "/api/v1/payments/{payment_id:int}",
        "/api/v1/users/{user_id:int}/activate",
    }
    for method, template in routes:
        url = re.sub(r"\{[^}:]+:int\}", LOOSE_INTEGERS[kind], template)
        url = re.sub(r"\{[^}]+\}", "x", url)
        body = bodies.get((method, re.sub(r":[^}]*\}", "}", template)))
        response = await send(api, method, url, admin, body)
        assert response.status_code == 404, (method, url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_an_id_with_hundreds_of_leading_zeros_stores_a_bounded_idempotency_path(api: Api) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    url = f"/api/v1/payments/orders/{'0' * 300}{order['id']}"
    first = await api.client.post(url, headers={**customer, "Idempotency-Key": "pay-1"})
    assert first.status_code == 201, first.text
    again = await api.client.post(url, headers={**customer, "Idempotency-Key": "pay-1"})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"


# ---- queries -------------------------------------------------------------------


def string_query_params(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    return [
        (method, path, operation, parameter)
        for method, path, operation in operations(doc)
        for parameter in operation.get("parameters") or []
        if parameter["in"] == "query" and is_string(resolve(doc, parameter.get("schema") or {}))
    ]


@pytest.mark.parametrize("kind", sorted(CONTROLS))
async def test_a_control_character_in_any_string_query_parameter_is_422_naming_it(
    api: Api, kind: str
) -> None:
    admin = await api.admin()
    doc = await document(api)
    swept = string_query_params(doc)
    assert {parameter["name"] for *_, parameter in swept} >= {"q", "email", "sort"}
    for method, path, operation, parameter in swept:
        url = fill_path(path, operation, doc)
        response = await send(api, method, url, admin, params={parameter["name"]: f"a{CONTROLS[kind]}b"})
        assert response.status_code == 422, (method, path, parameter["name"], response.text)
        assert parameter["name"] in {e["field"] for e in response.json()["errors"]}


async def test_a_string_query_parameter_over_its_maximum_length_is_422(api: Api) -> None:
    admin = await api.admin()
    doc = await document(api)
    for method, path, operation, parameter in string_query_params(doc):
        maximum = resolve(doc, parameter["schema"]).get("maxLength")
        if maximum is None:
            continue  # a number or a date written as text: judged by its own format
        url = fill_path(path, operation, doc)
        response = await send(api, method, url, admin, params={parameter["name"]: "a" * (maximum + 1)})
        assert response.status_code == 422, (method, path, parameter["name"], response.text)


async def test_free_text_query_parameters_declare_a_maximum_length(api: Api) -> None:
    doc = await document(api)
    for _, path, _, parameter in string_query_params(doc):
        if parameter["name"] in {"q", "email"}:
            assert resolve(doc, parameter["schema"]).get("maxLength"), (path, parameter["name"])


# ---- the Idempotency-Key header -------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [*(f"key{ch}1" for ch in CONTROLS.values()), "", "with space", "k" * 256, "ключ"],
    ids=[*CONTROLS, "empty", "space", "over-long", "non-ascii"],
)
async def test_a_bad_idempotency_key_is_422_on_every_route_that_takes_one(api: Api, key: str) -> None:
    admin = await api.admin()
    doc = await document(api)
    swept = [
        (method, path, operation)
        for method, path, operation in operations(doc)
        if any(
            p["in"] == "header" and p["name"] == "Idempotency-Key" for p in operation.get("parameters") or []
        )
    ]
    assert len(swept) >= 2
    for method, path, operation in swept:
        schema = json_body_schema(doc, operation)
        body = example_of(doc, schema) if schema else None
        url = fill_path(path, operation, doc)
        headers: dict[str, str | bytes] = {**admin, "Idempotency-Key": key.encode()}  # as the UTF-8 bytes
        response = await send(api, method, url, headers, body)
        assert response.status_code == 422, (method, path, repr(key), response.text)


async def raw_request(api: Api, method: str, url: str, headers: list[tuple[bytes, bytes]], body: Any) -> Any:
    """A request sent as is, repeated header lines kept apart, to the app in the loop it
    runs in (the test client's portal)."""

    async def request() -> httpx.Response:
        transport = httpx.ASGITransport(app=api.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as raw:
            return await raw.request(method, url, headers=headers, json=body)

    return await asyncio.to_thread(api.client.blocking_portal.call, request)


async def test_two_idempotency_keys_on_one_request_are_422_on_every_route_that_takes_one(api: Api) -> None:
    """Sent as two header lines, as a server hands them over (the test client would fold
    them into one `key-1, key-2` value, which the key's pattern refuses anyway)."""
    admin = await api.admin()
    customer = await api.customer()
    await make_product(api)
    doc = await document(api)
    swept = [
        (method, path, operation)
        for method, path, operation in operations(doc)
        if any(
            p["in"] == "header" and p["name"] == "Idempotency-Key" for p in operation.get("parameters") or []
        )
    ]
    assert len(swept) >= 2
    for method, path, operation in swept:
        schema = json_body_schema(doc, operation)
        body = example_of(doc, schema) if schema else None
        url = fill_path(path, operation, doc)
        # An admin-only route answers a customer 403 before it looks at any header (the
        # summary names the role: tests/e2e/test_auth_before_body.py holds it to the guards).
        callers = (admin,) if str(operation.get("summary", "")).endswith("(admin)") else (admin, customer)
        for caller in callers:
            for second in ("key-2", "key-1"):
                headers = [
                    *((name.encode(), value.encode()) for name, value in caller.items()),
                    (b"idempotency-key", b"key-1"),
                    (b"idempotency-key", second.encode()),
                ]
                response = await raw_request(api, method.upper(), url, headers, body)
                assert response.status_code == 422, (method, path, response.text)
                fields = {e["field"] for e in response.json()["errors"]}
                assert fields == {"Idempotency-Key"}, (method, path, response.text)


# ---- JSON bodies -----------------------------------------------------------------


def body_cases(
    doc: dict[str, Any],
) -> list[tuple[str, str, dict[str, Any], dict[str, Any], str, dict[str, Any]]]:
    """(method, path, operation, valid body, string field, its schema) for every string
    field of every JSON request body in the document."""
    cases = []
    for method, path, operation in operations(doc):
        schema = json_body_schema(doc, operation)
        if schema is None or schema.get("type") != "object":
            continue
        body = example_of(doc, schema)
        for name, prop in (schema.get("properties") or {}).items():
            prop = resolve(doc, prop)
            if is_string(prop):
                cases.append((method, path, operation, body, name, prop))
    return cases


@pytest.mark.parametrize("kind", sorted(CONTROLS))
async def test_a_control_character_in_any_string_body_field_is_422_naming_it(api: Api, kind: str) -> None:
    admin = await api.admin()
    doc = await document(api)
    cases = body_cases(doc)
    assert {(path, name) for _, path, _, _, name, _ in cases} >= {
        ("/api/v1/auth/register", "email"),
        ("/api/v1/auth/register", "password"),
        ("/api/v1/auth/login", "email"),
        ("/api/v1/categories", "slug"),
        ("/api/v1/products", "name"),
        ("/api/v1/products", "description"),
    }
    for method, path, operation, body, name, _ in cases:
        if kind != "NUL" and name == "password":
            continue  # a password may hold any character but NUL
        bad = copy.deepcopy(body)
        example = str(bad[name])
        bad[name] = example[:1] + CONTROLS[kind] + example[1:]
        response = await send(api, method, fill_path(path, operation, doc), admin, bad)
        assert response.status_code == 422, (method, path, name, response.text)
        assert name in {e["field"] for e in response.json()["errors"]}, response.text


BIDI_CONTROLS = {
    "arabic letter mark": "\u061c",
    "left-to-right mark": "\u200e",
    "right-to-left mark": "\u200f",
    "left-to-right embedding": "\u202a",
    "right-to-left override": "\u202e",
    "left-to-right isolate": "\u2066",
    "pop directional isolate": "\u2069",
}


@pytest.mark.parametrize("kind", sorted(BIDI_CONTROLS))
async def test_a_bidi_control_in_any_name_key_or_reference_body_field_is_422(api: Api, kind: str) -> None:
    """Names, slugs, emails, keys and references: text that could be drawn in another
    order than it is stored. A password and a description may hold them."""
    admin = await api.admin()
    doc = await document(api)
    swept = set()
    for method, path, operation, body, name, _ in body_cases(doc):
        if name in {"password", "description"}:
            continue
        bad = copy.deepcopy(body)
        example = str(bad[name])
        bad[name] = example[:1] + BIDI_CONTROLS[kind] + example[1:]
        response = await send(api, method, fill_path(path, operation, doc), admin, bad)
        assert response.status_code == 422, (method, path, name, response.text)
        assert name in {e["field"] for e in response.json()["errors"]}, response.text
        swept.add((path, name))
    assert swept >= {
        ("/api/v1/categories", "name"),
        ("/api/v1/products", "name"),
        ("/api/v1/categories", "slug"),
        ("/api/v1/auth/refresh", "refresh_token"),
    }


async def test_every_string_body_field_declares_a_maximum_length_and_longer_is_422(api: Api) -> None:
    admin = await api.admin()
    doc = await document(api)
    for method, path, operation, body, name, prop in body_cases(doc):
        maximum = prop.get("maxLength")
        if name == "price":
            continue  # money: judged by its own format (digits, two decimals, a maximum amount)
        assert maximum is not None, f"{method} {path}: `{name}` has no maximum length"
        bad = {**body, name: "a" * (maximum + 1)}
        response = await send(api, method, fill_path(path, operation, doc), admin, bad)
        assert response.status_code == 422, (method, path, name, response.text)


async def test_a_description_keeps_its_tabs_and_line_breaks(api: Api) -> None:
    admin = await api.admin()
    product_id = await make_product(api)
    text = "Line one\r\nline two\n\tindented"
    response = await api.client.patch(
        f"/api/v1/products/{product_id}", json={"description": text}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert response.json()["description"] == text


# ---- the webhook body --------------------------------------------------------------

WEBHOOK_STRING_FIELDS = [
    field.name
    for field in msgspec.structs.fields(MockEventBody)
    if isinstance(msgspec.inspect.type_info(field.type), msgspec.inspect.StrType | msgspec.inspect.Metadata)
    or field.name in {"status", "fail_reason"}
]


@pytest.mark.parametrize("kind", sorted(CONTROLS))
async def test_a_control_character_in_any_webhook_text_field_is_422(api: Api, kind: str) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    payment = await start_payment(api, customer, order["id"])
    assert {"event_id", "provider_payment_id", "currency", "fail_reason"} <= set(WEBHOOK_STRING_FIELDS)
    for name in WEBHOOK_STRING_FIELDS:
        body = event(payment, "failed", fail_reason="declined")
        body[name] = f"x{CONTROLS[kind]}y"
        response = await deliver(api, body)
        assert response.status_code == 422, (name, response.text)
    assert (await api.client.get(f"/api/v1/payments/{payment['id']}", headers=customer)).json()[
        "status"
    ] == "created"


async def test_an_over_long_webhook_text_field_is_422(api: Api) -> None:
    customer = await api.customer()
    order = await place_order(api, customer, await make_product(api))
    payment = await start_payment(api, customer, order["id"])
    for name, length in {
        "event_id": 256,
        "provider_payment_id": 256,
        "currency": 4,
        "fail_reason": 501,
    }.items():
        body = event(payment, "failed", fail_reason="declined")
        body[name] = "A" * length
        response = await deliver(api, body)
        assert response.status_code == 422, (name, response.text)
    assert WEBHOOK.endswith("/mock")


# ---- emails over HTTP ----------------------------------------------------------------

INVISIBLE = {
    "soft hyphen": "\u00ad",
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "right-to-left mark": "\u200f",
    "bidi override": "\u202e",
    "bidi isolate": "\u2066",
    "word joiner": "\u2060",
    "byte order mark": "\ufeff",
    "variation selector": "\ufe0f",
    "hangul filler": "\u3164",
    "tag character": "\U000e0041",
    "no-break space": "\u00a0",
    "space": " ",
    "NUL": "\x00",
    "C1": "\x85",
    "braille blank": "\u2800",
    "object replacement": "\ufffc",
    "replacement character": "\ufffd",
}


@pytest.mark.parametrize("name", sorted(INVISIBLE))
async def test_an_email_with_an_invisible_character_registers_nothing(api: Api, name: str) -> None:
    ch = INVISIBLE[name]
    admin = await api.admin()
    await api.register("ann@example.com")
    for email in (
        f"an{ch}n@example.com",
        f"ann@example.com{ch}",
        f"{ch}ann@example.com",
        f"ann@exa{ch}mple.com",
    ):
        response = await api.client.post(
            "/api/v1/auth/register", json={"email": email, "password": "pass-word-1"}
        )
        assert response.status_code == 422, (repr(email), response.text)
        assert response.json()["errors"][0]["field"] == "email"
    users = (await api.client.get("/api/v1/users", headers=admin)).json()
    assert sorted(u["email"] for u in users) == ["admin@storefront.test", "ann@example.com"]


@pytest.mark.parametrize(
    "email",
    [
        "a@\uff58.yy",  # fullwidth x
        "e\u0301x@x.yy",  # decomposed: the look-alike of \u00e9x@x.yy
        "\u0300ab@example.com",  # a local part starting with a combining mark
        "ab@example.\u0300com",  # a domain label starting with one
    ],
)
async def test_an_email_that_could_pass_for_another_registers_nothing(api: Api, email: str) -> None:
    assert (await api.register("\u00e9x@x.yy"))["email"] == "\u00e9x@x.yy"
    response = await api.client.post(
        "/api/v1/auth/register", json={"email": email, "password": "pass-word-1"}
    )
    assert response.status_code == 422, (repr(email), response.text)
    assert response.json()["errors"][0]["field"] == "email"
    login = await api.client.post(
        "/api/v1/auth/login", json={"email": email, "password": "customer-password"}
    )
    assert login.status_code == 401, login.text


async def test_an_email_is_lower_cased_but_never_trimmed(api: Api) -> None:
    assert (await api.register("Bob@Example.COM"))["email"] == "bob@example.com"
    for email in (" carl@example.com", "carl@example.com ", "\tcarl@example.com"):
        response = await api.client.post(
            "/api/v1/auth/register", json={"email": email, "password": "pass-word-1"}
        )
        assert response.status_code == 422, repr(email)


# ---- the document's examples are accepted ---------------------------------------------


def _order(item: tuple[str, str, dict[str, Any]]) -> tuple[int, str]:
    """Creations first (so the examples' ids name something), session enders last."""
    method, path, _ = item
    if path.endswith(("/logout", "/deactivate")):
        return (3, path)
    if method == "post" and "{" not in path:
        return (0, path)
    return (1 if method == "get" else 2, path)


async def test_every_example_in_the_document_is_accepted(api: Api) -> None:
    """What Swagger UI prefills — each body built from its properties' examples, each path,
    query and header parameter's example — is never refused as input (400/422)."""
    doc = await document(api)
    admin = await api.admin()
    refused = []
    for method, path, operation in sorted(operations(doc), key=_order):
        parameters = operation.get("parameters") or []
        query = {
            p["name"]: parameter_example(doc, p)
            for p in parameters
            if p["in"] == "query" and (p.get("examples") or p.get("example") or p.get("required"))
        }
        headers: dict[str, str | bytes] = {
            p["name"]: str(parameter_example(doc, p)) for p in parameters if p["in"] == "header"
        }
        schema = json_body_schema(doc, operation)
        body = example_of(doc, schema) if schema else None
        response = await send(
            api, method, fill_path(path, operation, doc), {**admin, **headers}, body, params=query
        )
        if response.status_code in (400, 422):
            refused.append(f"{method.upper()} {path} {body!r} {query!r}: {response.text}")
    assert not refused, "\n".join(refused)
