"""`Idempotency-Key` on a POST route: `@idempotent` under the route's decorator, nothing else.

The declaration adds the header to the route and its OpenAPI operation, and runs the
handler under the key (rules: `application.ports.idempotency`, docs/decisions.md
"Idempotency keys"): the first answer (any 2xx or 4xx) is stored and replayed for
24 h; another body → 422; still running → 409; a 5xx or a crash stores nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.openapi.spec import Example
from litestar.params import Parameter
from litestar.serialization import encode_json, get_serializer

from application.ports import (
    ClaimOutcome,
    Clock,
    IdempotencyScope,
    IdempotencyStore,
    StoredResponse,
    holding,
)
from domain.errors import Conflict, DomainError, InvalidInput
from domain.text import VISIBLE_ASCII_PATTERN
from domain.users import Actor
from entrypoints.http.problems import domain_error_handler, http_exception_handler

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"
# The stored path's column: a longer concrete path is stored as its digest.
MAX_PATH_LENGTH = 300

IdempotencyKey = Annotated[
    str | None,
    Parameter(
        header=HEADER,
        required=False,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=VISIBLE_ASCII_PATTERN,
        description=(
            f"1–{MAX_KEY_LENGTH} visible ASCII characters; a retry with the same key replays the first answer"
        ),
        examples=[Example(value="3f2c8a5e-9b1d-4e7a-a0c4-5d6e7f8a9b0c")],
    ),
]

Request_ = Request[Any, Any, Any]
Handler = TypeVar("Handler", bound=Callable[..., Awaitable[Any]])
# What the declaration adds to the handler's signature (keyword-only, so after any defaults).
_ADDED = {
    "request": inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request_),
    "idempotency_key": inspect.Parameter(
        "idempotency_key", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=IdempotencyKey
    ),
}


def idempotent(handler: Handler) -> Handler:
    """Declare that a POST route honours `Idempotency-Key`: the one thing a route does for it."""
    own = inspect.signature(handler).parameters

    @wraps(handler)
    async def honouring_the_key(
        *args: Any, request: Request_, idempotency_key: str | None = None, **kwargs: Any
    ) -> Any:
        if "request" in own:
            kwargs["request"] = request
        if len(request.headers.getall(HEADER, [])) > 1:
            # Which of two keys the caller meant is not ours to guess.
            raise InvalidInput.for_field(HEADER, "must be sent at most once")
        if idempotency_key is None:
            return await handler(*args, **kwargs)
        return await _run(request, idempotency_key, lambda: handler(*args, **kwargs))

    added = [parameter for name, parameter in _ADDED.items() if name not in own]
    honouring_the_key.__signature__ = inspect.Signature([*own.values(), *added])  # type: ignore[attr-defined]
    honouring_the_key.__annotations__ = {**handler.__annotations__, **{p.name: p.annotation for p in added}}
    return honouring_the_key  # type: ignore[return-value]


def fingerprint(body: bytes) -> str:
    """The same JSON document gives the same print, however it is spaced or its keys ordered."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


def concrete_path(request: Request_) -> str:
    """`METHOD /path`; one longer than its column (a path may carry any number of leading
    zeros before an id) is kept as `METHOD sha256:<hex digest of it>`, as unique."""
    path = f"{request.method} {request.url.path.rstrip('/') or '/'}"
    if len(path) <= MAX_PATH_LENGTH:
        return path
    return f"{request.method} sha256:{hashlib.sha256(path.encode()).hexdigest()}"


async def _run(request: Request_, key: str, handle: Callable[[], Awaitable[Any]]) -> Response[bytes]:
    container = request.scope["state"]["dishka_container"]
    store: IdempotencyStore = await container.get(IdempotencyStore)
    actor: Actor = await container.get(Actor)
    now = (await container.get(Clock)).now()
    claim = await store.claim(
        IdempotencyScope(actor.user_id, concrete_path(request), key), fingerprint(await request.body()), now
    )
    if claim.outcome is ClaimOutcome.MISMATCH:
        raise InvalidInput.for_field(HEADER, "was already used with a different request body")
    if claim.outcome is ClaimOutcome.IN_PROGRESS:
        raise Conflict("a request with this Idempotency-Key is still being processed; retry shortly")
    if claim.response is not None:  # REPLAY
        stored = claim.response
        headers = {REPLAYED_HEADER: "true"}
        return Response(stored.body, status_code=stored.status, media_type=stored.media_type, headers=headers)
    lease = claim.lease
    assert lease is not None
    try:
        with holding(lease, resuming=claim.resource_id):
            response = await _answer(request, handle)
    except BaseException:
        await asyncio.shield(store.abandon(lease))
        raise
    status = response.status_code or 200
    if status >= 500 or not isinstance(response.content, bytes):
        await store.abandon(lease)
        return response
    media_type = str(response.media_type or "application/json")
    await store.complete(lease, StoredResponse(status, response.content, media_type))
    if claim.outcome is ClaimOutcome.RESUME:
        response.headers[REPLAYED_HEADER] = "true"
    return response


async def _answer(request: Request_, handle: Callable[[], Awaitable[Any]]) -> Response[Any]:
    """The handler's answer as the bytes to keep, with a refusal (4xx) as its problem response."""
    try:
        data = await handle()
    except DomainError as error:
        return domain_error_handler(request, error)
    except HTTPException as error:
        if error.status_code >= 500:
            raise
        return http_exception_handler(request, error)
    if isinstance(data, Response):
        return data
    route = request.route_handler
    encoded = encode_json(data, get_serializer(route.resolve_type_encoders()))
    return Response(encoded, status_code=route.status_code, media_type="application/json")
