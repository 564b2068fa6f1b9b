"""`Idempotency-Key` for POST endpoints: one helper any controller can wrap its work in.

    return await idempotent.run(request, actor, work, replay)

`work(lease)` does the request, handing `lease` (None without the header) to
its use case, which records the resource it creates on the key in its own
transaction. `replay(resource_id, lease)` rebuilds the same success answer
from that resource: it answers a retry that finds the first request's work
committed but its answer never stored (the process died in between).

Without the header the work simply runs. With it, the first request under a
key (per user and concrete path) runs and its answer — any 2xx or 4xx — is
stored and replayed to retries for 24 h; the same key with another body is
422, and a retry while the first is still running is 409. A 5xx or a crash
leaves nothing stored (or a claim that lapses after its lease), so the client
can retry. See docs/decisions.md, "Idempotency keys".
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.openapi.spec import Example
from litestar.params import Parameter

from application.ports import ClaimOutcome, Clock, IdempotencyScope, IdempotencyStore, Lease, StoredResponse
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

Work = Callable[[Lease | None], Awaitable[Response[bytes]]]
Replay = Callable[[int, Lease], Awaitable[Response[bytes]]]


def created_response(body: object) -> Response[bytes]:
    """A 201 with the encoded body, as bytes: the form the store keeps and replays."""
    return Response(msgspec.json.encode(body), status_code=201, media_type="application/json")


def read_key(request: Request[Any, Any, Any]) -> str | None:
    """The header's value: 1–255 visible ASCII characters, or InvalidInput (422)."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if not 1 <= len(raw) <= MAX_KEY_LENGTH or not all("!" <= ch <= "~" for ch in raw):
        raise InvalidInput.for_field(HEADER, f"must be 1 to {MAX_KEY_LENGTH} visible ASCII characters")
    return raw


def fingerprint(body: bytes) -> str:
    """The same JSON document gives the same print, however it is spaced or its keys ordered."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(canonical).hexdigest()


def concrete_path(request: Request[Any, Any, Any]) -> str:
    """`METHOD /path`; one longer than its column (a path may carry any number of leading
    zeros before an id) is kept as `METHOD sha256:<hex digest of it>`, as unique."""
    path = f"{request.method} {request.url.path.rstrip('/') or '/'}"
    if len(path) <= MAX_PATH_LENGTH:
        return path
    return f"{request.method} sha256:{hashlib.sha256(path.encode()).hexdigest()}"


class IdempotentRequests:
    def __init__(self, store: IdempotencyStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def run(
        self, request: Request[Any, Any, Any], actor: Actor, work: Work, replay: Replay
    ) -> Response[bytes]:
        key = read_key(request)
        if key is None:
            return await work(None)
        scope = IdempotencyScope(actor.user_id, concrete_path(request), key)
        claim = await self._store.claim(scope, fingerprint(await request.body()), self._clock.now())
        if claim.outcome is ClaimOutcome.MISMATCH:
            raise InvalidInput.for_field(HEADER, "was already used with a different request body")
        if claim.outcome is ClaimOutcome.IN_PROGRESS:
            raise Conflict("a request with this Idempotency-Key is still being processed; retry shortly")
        if claim.outcome is ClaimOutcome.REPLAY:
            assert claim.response is not None
            stored = claim.response
            return Response(
                stored.body,
                status_code=stored.status,
                media_type=stored.media_type,
                headers={REPLAYED_HEADER: "true"},
            )
        lease = claim.lease
        assert lease is not None
        if claim.outcome is ClaimOutcome.RESUME:
            assert claim.resource_id is not None
            resource_id = claim.resource_id

            async def answer() -> Response[bytes]:
                return await replay(resource_id, lease)

        else:

            async def answer() -> Response[bytes]:
                return await work(lease)

        try:
            response = await self._answer(request, answer)
        except BaseException:
            await asyncio.shield(self._store.abandon(lease))
            raise
        status = response.status_code or 200
        if status >= 500 or not isinstance(response.content, bytes):
            await self._store.abandon(lease)
            return response
        media_type = str(response.media_type or "application/json")
        await self._store.complete(lease, StoredResponse(status, response.content, media_type))
        if claim.outcome is ClaimOutcome.RESUME:
            response.headers[REPLAYED_HEADER] = "true"
        return response

    @staticmethod
    async def _answer(
        request: Request[Any, Any, Any], work: Callable[[], Awaitable[Response[bytes]]]
    ) -> Response[bytes]:
        """The work's response, with a refusal (4xx) turned into its problem response."""
        try:
            return await work()
        except DomainError as error:
            return domain_error_handler(request, error)
        except HTTPException as error:
            if error.status_code >= 500:
                raise
            return http_exception_handler(request, error)
