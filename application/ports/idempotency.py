"""Idempotency keys: the port behind the `Idempotency-Key` header.

A client that retries a POST with the same key gets the first answer again
instead of a second order or payment. A key belongs to one user and one
concrete path; it is kept for `RETENTION`. A claim that is still running is
`IN_PROGRESS` for others; one older than `LEASE` is taken to be the remains of
a crashed process and may be claimed afresh, so a dead request never blocks
its key for good.

The entrypoint runs the use case `holding` the key's `Lease`; the use case notes
the resource it creates (`uow.idempotency.record_created`) in the transaction
that creates it. A retry finding the claim lapsed with a resource recorded gets
`RESUME` and runs `holding(lease, resuming=resource_id)`: the `@resumable` use
case answers from that resource (`resume`), the work never runs twice.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import wraps
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, cast

from domain.errors import Conflict
from domain.users import Actor

RETENTION = timedelta(hours=24)
LEASE = timedelta(seconds=60)
LEASE_LOST = "the idempotency key of this request was taken over by a retry; nothing was done"


# Small frozen value classes (here and in security.py) are alike by shape only.
@dataclass(frozen=True, slots=True)
class IdempotencyScope:
    user_id: int
    path: str
    key: str


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: bytes
    media_type: str


@dataclass(frozen=True, slots=True)
class Lease:
    """The right to answer under a key: the scope plus the token of this one claim.
    A retry that takes a lapsed claim over gets a new token, so the old holder's
    late writes (record, complete, abandon) change nothing."""

    scope: IdempotencyScope
    token: str


class ClaimOutcome(StrEnum):
    STARTED = "started"  # the caller owns the key now: run the request, then complete or abandon
    # the work was done (`resource_id`) but never answered: the caller owns the key, answers from it
    RESUME = "resume"
    REPLAY = "replay"  # finished before: answer with `response`
    MISMATCH = "mismatch"  # the key was used with a different request
    IN_PROGRESS = "in_progress"  # another request with this key is still running


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: ClaimOutcome
    response: StoredResponse | None = None
    lease: Lease | None = None  # with STARTED and RESUME
    resource_id: int | None = None  # with RESUME


class IdempotencyStore(Protocol):
    @abstractmethod
    async def claim(self, scope: IdempotencyScope, fingerprint: str, now: datetime) -> Claim:
        """Atomically start a request under a key, or say why not. Committed at once,
        so concurrent requests with the same key see it."""

    @abstractmethod
    async def complete(self, lease: Lease, response: StoredResponse) -> None:
        """Record the answer to replay for the rest of the retention period (if `lease` still holds)."""

    @abstractmethod
    async def abandon(self, lease: Lease) -> None:
        """Give a running claim up (the request failed on the server's side). Without a recorded
        resource it is forgotten, so a retry runs afresh; with one, the work is done, so it
        is only released: the next retry resumes at once."""

    @abstractmethod
    async def purge(self, before: datetime) -> int:
        """Delete records created before `before`; returns how many."""


class IdempotencyRecords(Protocol):
    """The key's row as seen from inside a unit of work: writes share its transaction."""

    @abstractmethod
    async def record(self, lease: Lease, resource_id: int) -> bool:
        """Note that the work under `lease` created `resource_id`; committed with the work.
        False when the lease was lost (the claim lapsed and a retry took it over): the
        work must then not commit."""

    @abstractmethod
    async def forget(self, lease: Lease) -> None:
        """Undo `record` (the work's effect turned out void, e.g. a payment that failed to open)."""

    async def record_created(self, resource_id: int) -> None:
        """Under a held key, note on it that this unit of work creates `resource_id` (committed
        with it). A key lost to a retry meanwhile → Conflict: the work must not commit.
        Without a held key, nothing."""
        held = _held.get()
        if held is not None and not await self.record(held.lease, resource_id):
            raise Conflict(LEASE_LOST)

    async def forget_created(self) -> None:
        """Under a held key, undo `record_created`; without one, nothing."""
        held = _held.get()
        if held is not None:
            await self.forget(held.lease)


@dataclass(frozen=True, slots=True)
class _Held:
    lease: Lease
    resuming: int | None


_held: ContextVar[_Held | None] = ContextVar("idempotency_key_held", default=None)


def key_held() -> bool:
    """Whether the running use case holds an idempotency key (`holding`): its unit of work then
    writes the key's row too (`record_created`), in the same transaction as its own writes."""
    return _held.get() is not None


@contextmanager
def holding(lease: Lease, resuming: int | None = None) -> Iterator[None]:
    """Run use cases under `lease`: what they create is recorded on its key. With `resuming`
    (a claim that came back `RESUME`), a `@resumable` use case answers from that resource."""
    token = _held.set(_Held(lease, resuming))
    try:
        yield
    finally:
        _held.reset(token)


R = TypeVar("R")
_P = ParamSpec("_P")


class Resumable(Protocol):
    async def resume(self, actor: Actor, resource_id: int) -> Any:
        """The answer to the request that created `resource_id` and died before answering."""


UseCase = TypeVar("UseCase", bound=Resumable)


def resumable(
    call: Callable[Concatenate[UseCase, Actor, _P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[UseCase, Actor, _P], Coroutine[Any, Any, R]]:
    """Marks a creating use case's `__call__`: while `holding` a key whose earlier holder created
    its resource but never answered, it answers with `resume` instead of creating another."""

    @wraps(call)
    async def run(use_case: UseCase, actor: Actor, /, *args: _P.args, **kwargs: _P.kwargs) -> R:
        held = _held.get()
        if held is not None and held.resuming is not None:
            return cast(R, await use_case.resume(actor, held.resuming))
        return await call(use_case, actor, *args, **kwargs)

    return run
