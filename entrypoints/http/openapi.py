"""OpenAPI pieces shared by the controllers."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
from litestar.openapi.spec import (
    Components,
    OAuthFlow,
    OAuthFlows,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
    SecurityScheme,
)

BEARER_SCHEME = "OAuth2PasswordBearer"
BEARER: list[dict[str, list[str]]] = [{BEARER_SCHEME: []}]

COMPONENTS = Components(
    security_schemes={
        BEARER_SCHEME: SecurityScheme(
            type="oauth2",
            description="Log in with email and password; the access token goes in `Authorization: Bearer`.",
            flows=OAuthFlows(password=OAuthFlow(token_url="/api/v1/auth/login", scopes={})),
        )
    }
)


# ---- problem responses ---------------------------------------------------------------
#
# Every error is an RFC 9457 problem (problems.py), but Litestar documents only what a
# handler returns and its own 400 shape. `declare_problem_responses` rewrites the
# generated document once, for every operation at once (new controllers included):
# the statuses an operation can produce by its shape, and `default` for the rest.

PROBLEM_JSON = "application/problem+json"

PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="RFC 9457 problem details",
    required=["type", "title", "status", "detail"],
    properties={
        "type": Schema(type=OpenAPIType.STRING),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "errors": Schema(
            type=OpenAPIType.ARRAY,
            description="Validation errors (422): one per broken rule",
            items=Schema(
                type=OpenAPIType.OBJECT,
                required=["field", "message"],
                properties={
                    "field": Schema(type=OpenAPIType.STRING),
                    "message": Schema(type=OpenAPIType.STRING),
                },
            ),
        ),
    },
)

_DESCRIPTIONS = {
    400: "Malformed request: the body is not JSON, not UTF-8, or nested deeper than 32 levels",
    401: "Missing or bad credentials (`WWW-Authenticate: Bearer`)",
    403: "The caller's role or account state does not allow this",
    404: "Not found",
    409: "Conflicts with the current state (a taken name, a wrong status)",
    413: "The body is over 1 MiB",
    422: "Well-formed input that breaks a rule; `errors` names each field",
    429: "Rate limited; see `Retry-After`",
    503: "A dependency (database, Redis) is unavailable; see `Retry-After`",
}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _problem(description: str) -> OpenAPIResponse:
    reference = Reference(ref=f"#/components/schemas/{PROBLEM_COMPONENT}")
    return OpenAPIResponse(
        description=description, content={PROBLEM_JSON: OpenAPIMediaType(schema=reference)}
    )


PROBLEM_COMPONENT = "Problem"


def _statuses(path: str, method: str, operation: Operation, api_prefix: str) -> set[int]:
    in_api = path.startswith(api_prefix)
    statuses = {503}
    if in_api:
        statuses.add(429)
    if operation.parameters or operation.request_body:
        statuses.add(422)
    if operation.request_body:
        statuses |= {400, 413}
    if "{" in path:
        statuses.add(404)
    if operation.security or path.startswith(f"{api_prefix}/auth"):
        statuses |= {401, 403}
    if in_api and method != "get":
        statuses.add(409)
    return statuses


def _struct_classes(base: type[msgspec.Struct]) -> Iterator[type[msgspec.Struct]]:
    for sub in base.__subclasses__():
        yield sub
        yield from _struct_classes(sub)


def declare_problem_responses(openapi: OpenAPI, api_prefix: str) -> None:
    """Declare the errors in the document, in place: problem+json responses on every
    operation, and `additionalProperties: false` on bodies that refuse unknown fields (422)."""
    components = openapi.components
    components.schemas = {**(components.schemas or {}), PROBLEM_COMPONENT: PROBLEM_SCHEMA}
    strict = {
        cls.__name__ for cls in _struct_classes(msgspec.Struct) if cls.__struct_config__.forbid_unknown_fields
    }
    for name, schema in components.schemas.items():
        if name in strict and isinstance(schema, Schema):
            schema.additional_properties = False
    for path, item in (openapi.paths or {}).items():
        for method in _METHODS:
            operation: Operation | None = getattr(item, method, None)
            if operation is None:
                continue
            responses = operation.responses = dict(operation.responses or {})
            responses.pop("400", None)  # Litestar's own ValidationException shape, never sent as such
            for status in sorted(_statuses(path, method, operation, api_prefix)):
                responses.setdefault(str(status), _problem(_DESCRIPTIONS[status]))
            responses.setdefault("default", _problem("Any other error, as a problem"))
