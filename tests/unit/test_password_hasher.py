"""The real bcrypt hasher, at the lowest cost factor: the pre-hash is the point here."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import bcrypt
import pytest

from adapters.security.passwords import BcryptPasswordHasher, request_arrived
from domain.errors import ServiceBusy


@pytest.fixture
def hasher() -> Iterator[BcryptPasswordHasher]:
    hasher = BcryptPasswordHasher(rounds=4)
    yield hasher
    hasher.close()


async def test_a_hash_verifies_its_own_password_only(hasher: BcryptPasswordHasher) -> None:
    stored = await hasher.hash("correct horse battery")
    assert stored.startswith("$2")
    assert await hasher.verify("correct horse battery", stored)
    assert not await hasher.verify("correct horse batterY", stored)


async def test_two_passwords_sharing_their_first_72_bytes_do_not_both_verify(
    hasher: BcryptPasswordHasher,
) -> None:
    common = "x" * 72
    first, second = common + "first", common + "second"
    stored = await hasher.hash(first)
    assert await hasher.verify(first, stored)
    assert not await hasher.verify(second, stored)


async def test_passwords_differing_only_past_72_utf8_bytes_are_distinct(hasher: BcryptPasswordHasher) -> None:
    common = "пароль" * 12  # 144 bytes of UTF-8 in 72 code points
    stored = await hasher.hash(common + "а")
    assert not await hasher.verify(common + "б", stored)
    assert await hasher.verify(common + "а", stored)


async def test_bcrypt_alone_would_have_confused_them() -> None:
    """Why the pre-hash exists: plain bcrypt ignores everything after 72 bytes."""
    common = b"x" * 72
    try:
        stored = bcrypt.hashpw(common + b"first", bcrypt.gensalt(rounds=4))
    except ValueError:
        return  # newer bcrypt refuses long inputs outright, which is no better
    assert bcrypt.checkpw(common + b"second", stored)


async def test_a_128_code_point_password_of_four_byte_characters_hashes(hasher: BcryptPasswordHasher) -> None:
    password = "😀" * 128
    assert await hasher.verify(password, await hasher.hash(password))


async def test_a_lone_surrogate_password_hashes_and_verifies(hasher: BcryptPasswordHasher) -> None:
    password = "pass\ud800word"
    assert await hasher.verify(password, await hasher.hash(password))


@pytest.mark.parametrize("stored", ["", "not a hash", "$2b$04$short", "пароль"])
async def test_a_corrupt_stored_hash_never_verifies(hasher: BcryptPasswordHasher, stored: str) -> None:
    assert not await hasher.verify("correct horse battery", stored)


async def test_burning_an_unknown_email_spends_a_verification(hasher: BcryptPasswordHasher) -> None:
    await hasher.burn("whatever password")
    await hasher.burn("whatever password")


async def test_a_saturated_pool_answers_busy_instead_of_queueing_without_bound() -> None:
    hasher = BcryptPasswordHasher(rounds=6, workers=1, admission_wait=0)
    try:
        results = await asyncio.gather(
            hasher.hash("first password"), hasher.hash("second password"), return_exceptions=True
        )
    finally:
        hasher.close()
    assert any(isinstance(r, ServiceBusy) for r in results)
    assert any(isinstance(r, str) for r in results)


# ---- admission: a hash starts within the wait or is refused -------------------------


@pytest.fixture
def held_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """bcrypt.checkpw blocks its thread until the returned event is set."""
    release = threading.Event()
    check = bcrypt.checkpw

    def held_check(password: bytes, hashed: bytes) -> bool:
        release.wait(10)
        return check(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", held_check)
    yield release
    release.set()


STORED = bcrypt.hashpw(b"irrelevant", bcrypt.gensalt(rounds=4)).decode()


async def test_a_hash_that_cannot_start_within_the_wait_is_refused_then_and_not_later(
    held_threads: threading.Event,
) -> None:
    hasher = BcryptPasswordHasher(rounds=4, workers=1, admission_wait=0.3)
    try:
        first = asyncio.create_task(hasher.verify("first", STORED))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        with pytest.raises(ServiceBusy):
            await hasher.verify("second", STORED)
        assert 0.25 <= time.monotonic() - started < 1.0
        held_threads.set()
        assert await first is False
        assert await hasher.verify("third", STORED) is False
    finally:
        hasher.close()


async def test_a_waiting_hash_starts_as_soon_as_a_thread_frees(held_threads: threading.Event) -> None:
    hasher = BcryptPasswordHasher(rounds=4, workers=1, admission_wait=5)
    try:
        first = asyncio.create_task(hasher.verify("first", STORED))
        second = asyncio.create_task(hasher.verify("second", STORED))
        await asyncio.sleep(0.2)
        assert not first.done() and not second.done()
        started = time.monotonic()
        held_threads.set()
        assert list(await asyncio.gather(first, second)) == [False, False]
        assert time.monotonic() - started < 1.0
    finally:
        hasher.close()


async def test_every_thread_is_used_before_anyone_waits(held_threads: threading.Event) -> None:
    hasher = BcryptPasswordHasher(rounds=4, workers=3, admission_wait=0)
    try:
        running = [asyncio.create_task(hasher.verify(f"p{n}", STORED)) for n in range(3)]
        await asyncio.sleep(0.05)
        with pytest.raises(ServiceBusy):
            await hasher.verify("one too many", STORED)
        held_threads.set()
        assert await asyncio.gather(*running) == [False, False, False]
    finally:
        hasher.close()


async def test_a_cancelled_caller_holds_its_thread_until_the_hash_is_done(
    held_threads: threading.Event,
) -> None:
    hasher = BcryptPasswordHasher(rounds=4, workers=1, admission_wait=0.2)
    try:
        gone = asyncio.create_task(hasher.verify("client went away", STORED))
        await asyncio.sleep(0.05)
        gone.cancel()
        with pytest.raises(asyncio.CancelledError):
            await gone
        with pytest.raises(ServiceBusy):  # the thread is still hashing for nobody
            await hasher.verify("next", STORED)
        held_threads.set()
        await asyncio.sleep(0.1)
        assert await hasher.verify("after", STORED) is False
    finally:
        hasher.close()


async def test_the_wait_counts_from_the_requests_arrival_not_from_the_hash_call(
    held_threads: threading.Event,
) -> None:
    hasher = BcryptPasswordHasher(rounds=4, workers=1, admission_wait=0.3)
    try:
        first = asyncio.create_task(hasher.verify("first", STORED))
        with request_arrived():
            await asyncio.sleep(0.25)  # the rate limit and the account lookup took most of the wait
            started = time.monotonic()
            with pytest.raises(ServiceBusy):
                await hasher.verify("second", STORED)
            assert time.monotonic() - started < 0.15  # what was left of the wait, not a new one
        held_threads.set()
        assert await first is False
        with request_arrived():
            await asyncio.sleep(0.35)  # past the wait, but a thread is free: it is taken
            assert await hasher.verify("third", STORED) is False
    finally:
        hasher.close()
