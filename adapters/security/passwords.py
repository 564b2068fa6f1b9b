"""bcrypt over an HMAC-SHA256 pre-hash, in a bounded thread pool with a bounded wait.

The pre-hash (base64, so there is no NUL byte) lets every password of up to 128
code points count in full: bcrypt alone ignores everything after 72 bytes. Its
key is a fixed label, not a secret: rotating `SECRET_KEY` must not lock every
customer out.

Admission: a hash starts only on a free thread. A caller waits for one, in arrival
order, until `admission_wait` seconds (default 1) after its request arrived (see
`request_arrived`; a caller outside a request counts from its call), and otherwise
gets ServiceBusy (503 with `Retry-After`) at once: the rate-limit round trip, the
account lookup and any queue before them count against the same second, so a
request that is past it when it asks for a thread takes a free one or is refused
without waiting.
There is no queue of admitted work behind the threads, so whoever is admitted
starts hashing at once, and under a flood nobody waits longer than the admission
wait plus one hash: a queue that is bounded by length instead (say 64 waiting
hashes) is a wait of 64 hashes, many seconds on a busy machine.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar, Token
from typing import Any, TypeVar

import bcrypt

from application.ports import PasswordHasher
from domain.errors import ServiceBusy

R = TypeVar("R")

# Hashing threads run at a lower CPU priority than the event loop (on Linux a thread has
# its own nice value): a login storm takes the CPU that requests leave idle, not theirs.
HASHING_NICENESS = 10


def lower_thread_priority() -> None:
    """ThreadPoolExecutor initializer: lower this thread's priority, where the OS allows."""
    if sys.platform != "linux":
        return  # elsewhere the call would name a process, not this thread
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):  # not permitted here: hash at the normal priority
        os.setpriority(
            os.PRIO_PROCESS, thread, max(os.getpriority(os.PRIO_PROCESS, thread), HASHING_NICENESS)
        )


# When the current request arrived (the event loop's clock), for the admission deadline.
_arrival: ContextVar[float | None] = ContextVar("password_hashing_arrival", default=None)


@contextlib.contextmanager
def request_arrived() -> Iterator[None]:
    """Within this block, hashing admission counts from now rather than from each hash call.

    The HTTP entrypoint opens it as each request arrives (in the request's own task, so
    the handler and the use case it calls see it): whatever the request waits for before
    it asks for a hashing thread counts against its second.
    """
    token = arrival_started()
    try:
        yield
    finally:
        arrival_ended(token)


def arrival_started() -> Token[float | None]:
    """`request_arrived` without the generator, for the HTTP edge's one layer: the current
    request arrived now; hand the token back to `arrival_ended` as it ends."""
    return _arrival.set(asyncio.get_running_loop().time())


def arrival_ended(token: Token[float | None]) -> None:
    _arrival.reset(token)


class BcryptPasswordHasher(PasswordHasher):
    PREHASH_KEY = b"storefront/password-prehash/v1"

    def __init__(
        self,
        rounds: int = 12,
        workers: int = 2,
        admission_wait: float = 1.0,
    ) -> None:
        self._rounds = rounds
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="bcrypt", initializer=lower_thread_priority
        )
        # One slot per thread: holding a slot means a thread is (about to be) hashing for you.
        self._threads = asyncio.BoundedSemaphore(workers)
        self._admission_wait = admission_wait
        self._dummy_hash: bytes | None = None

    def _prehash(self, password: str) -> bytes:
        digest = hmac.new(self.PREHASH_KEY, password.encode("utf-8", "surrogatepass"), hashlib.sha256)
        return base64.b64encode(digest.digest())

    async def _run(self, fn: Callable[..., R], *args: Any) -> R:
        loop = asyncio.get_running_loop()
        arrival = _arrival.get()
        deadline = (loop.time() if arrival is None else arrival) + self._admission_wait
        try:
            async with asyncio.timeout_at(deadline):
                await self._threads.acquire()
        except TimeoutError:
            raise ServiceBusy("too many password checks in progress, retry shortly") from None
        try:
            job = asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        except BaseException:
            self._threads.release()
            raise
        # The slot is free again when the thread is, not when the caller stops waiting:
        # a cancelled request must not let a new hash queue behind a thread still busy.
        job.add_done_callback(lambda _: self._threads.release())
        return await asyncio.shield(job)

    async def hash(self, password: str) -> str:
        salt = bcrypt.gensalt(rounds=self._rounds)
        hashed = await self._run(bcrypt.hashpw, self._prehash(password), salt)
        return hashed.decode("ascii")

    async def verify(self, password: str, password_hash: str) -> bool:
        try:
            expected = password_hash.encode("ascii")
        except UnicodeEncodeError:
            return False
        try:
            ok = await self._run(bcrypt.checkpw, self._prehash(password), expected)
        except ValueError:
            return False
        return ok

    async def burn(self, password: str) -> None:
        if self._dummy_hash is None:
            self._dummy_hash = (await self.hash("not a real password")).encode("ascii")
        await self._run(bcrypt.checkpw, self._prehash(password), self._dummy_hash)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
