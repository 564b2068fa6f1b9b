"""The one map from errors to RFC 9457 problem responses."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    SerializationException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from domain.errors import (
    AccessDenied,
    Conflict,
    DependencyUnavailable,
    DomainError,
    InvalidInput,
    MalformedInput,
    NotAuthenticated,
    NotFound,
    ServiceBusy,
    TooManyRequests,
)
from entrypoints.http.schemas import FieldProblem, Problem
from entrypoints.http.text_guard import body_message, readable
from entrypoints.outage_log import OutageLog, fault_kind

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("storefront.http")

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

_DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (MalformedInput, 400),
    (InvalidInput, 422),
    (NotFound, 404),
    (Conflict, 409),
    (NotAuthenticated, 401),
    (AccessDenied, 403),
    (TooManyRequests, 429),
    (ServiceBusy, 503),
    (DependencyUnavailable, 503),
]


def problem(
    status: int,
    detail: str,
    *,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    body = Problem(
        title=_TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        errors=errors if errors is not None else msgspec.UNSET,
    )
    return Response(
        msgspec.json.encode(body),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def domain_error_handler(_: Request[Any, Any, Any], exc: DomainError) -> Response[bytes]:
    status = next((code for kind, code in _DOMAIN_STATUS if isinstance(exc, kind)), 400)
    headers: dict[str, str] = {}
    errors = None
    if isinstance(exc, InvalidInput) and not isinstance(exc, MalformedInput):
        errors = [FieldProblem(e.field, e.message) for e in exc.errors]
    if isinstance(exc, NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(max(1, exc.retry_after))
    if isinstance(exc, ServiceBusy | DependencyUnavailable):
        headers["Retry-After"] = "1"
    return problem(status, exc.message, errors=errors, headers=headers)


_NAMED_FIELD = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<name>[^`]+)`$")


def validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[bytes]:
    """Litestar's parsing failures: a broken rule is 422 naming each field.

    An empty body is a malformed request (400) where the route needs one (an optional body,
    absent, is no failure); a path parameter out of range (an id beyond the database's
    integers) names nothing that exists (404).
    """
    extra = [item for item in (exc.extra if isinstance(exc.extra, list) else []) if isinstance(item, dict)]
    if _optional_body(request):
        extra = [
            item for item in extra if not (item.get("key") == "data" and item.get("message") == "'data'")
        ]
    if any(item.get("key") == "data" and item.get("message") == "'data'" for item in extra):
        return problem(400, "the request body is required")
    if extra and all(_source(item) == "path" for item in extra):
        return problem(404, "not found")
    errors = [_field_problem(item) for item in extra]
    return problem(422, "the request breaks a validation rule", errors=errors or None)


def _source(item: dict[str, Any]) -> str:
    source = item.get("source", "body")
    return str(getattr(source, "value", source))


def _field_problem(item: dict[str, Any]) -> FieldProblem:
    key = str(item.get("key") or "")
    message = readable(str(item.get("message") or "invalid value"))
    if key == "data":
        key = ""
        message = body_message(message)
    if match := _NAMED_FIELD.match(message):
        key = f"{key}.{match['name']}" if key else match["name"]
    return FieldProblem(field=key or "body", message=message)


def http_exception_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    if isinstance(exc, ClientException) and isinstance(exc.__cause__, SerializationException):
        return problem(400, "the request body is not valid JSON")
    headers = dict(exc.headers or {})
    status = exc.status_code
    if status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    if status >= 500:
        return problem(status, _TITLES.get(status, "server error"), headers=headers)
    return problem(status, exc.detail or _TITLES.get(status, "error"), headers=headers)


UnavailableClassifier = Callable[[BaseException], str | None]
"""Names the dependency (`database`, `redis`…) an error says is unreachable, or None."""

_UNAVAILABLE_DETAIL = {
    "database": "the database is unavailable, retry shortly",
    "redis": "the session and rate-limit store is unavailable, retry shortly",
}
outages = OutageLog(log)


def unexpected_error_handler(classify: UnavailableClassifier) -> Callable[..., Response[bytes]]:
    """Any error no other handler took: 503 with `Retry-After` when `classify` says a dependency
    is unreachable (whichever pool or driver raised it), else a 500 that says nothing inside.

    Outages are logged one line per kind of failure per interval, not a traceback per request.
    """

    def handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
        kind = classify(exc)
        if kind is None:
            return internal_error_handler(request, exc)
        outages.report(f"{kind}:{type(exc).__name__}", f"{kind} unavailable, answering 503", exc)
        detail = _UNAVAILABLE_DETAIL.get(kind, "a service the store depends on is unavailable, retry shortly")
        return problem(503, detail, headers={"Retry-After": "1"})

    return handler


def internal_error_handler(_: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    # A traceback per kind of error per interval: a fault hit by every request logs once.
    # Keyed by the fault (`fault_kind`: the wrapped driver error and its message class), not the
    # wrapper's type alone, which for every database error is the same `DBAPIError`.
    outages.report(f"error:{fault_kind(exc)}", "unhandled error", exc, level=logging.ERROR, traceback=True)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "an unexpected error occurred")


def exception_handlers(classify: UnavailableClassifier) -> dict[Any, Any]:
    """The app's exception handlers; `classify` comes from the composition root (the adapters
    know which driver errors mean "unreachable", this module knows none of them)."""
    return {
        DomainError: domain_error_handler,
        ValidationException: validation_handler,
        HTTPException: http_exception_handler,
        Exception: unexpected_error_handler(classify),
    }


def _optional_body(request: Request[Any, Any, Any]) -> bool:
    try:
        data = request.route_handler.parsed_fn_signature.parameters.get("data")
    except (AttributeError, KeyError):
        return False
    return data is not None and data.has_default
