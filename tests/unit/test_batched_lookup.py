"""`BatchedLookup`: lookups asked in one turn of the event loop share one fetch."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.batching import BatchedLookup, KeyFailed


class Source:
    """A fetch that records each batch it is asked for; `squares` of the keys it knows."""

    def __init__(self, known: set[int] | None = None, error: Exception | None = None) -> None:
        self.batches: list[list[int]] = []
        self.known = known
        self.error = error
        self.release = asyncio.Event()
        self.release.set()

    async def fetch(self, keys: Sequence[int]) -> Mapping[int, int]:
        self.batches.append(list(keys))
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return {k: k * k for k in keys if self.known is None or k in self.known}


async def test_lookups_of_one_turn_share_one_fetch_each_key_once() -> None:
    source = Source(known={1, 2, 3})
    lookup = BatchedLookup(source.fetch)
    answers = await asyncio.gather(*(lookup.get(k) for k in [3, 1, 3, 2, 9]))
    assert answers == [9, 1, 9, 4, None]
    assert source.batches == [[3, 1, 2, 9]]


async def test_lookups_of_later_turns_get_fetches_of_their_own() -> None:
    source = Source()
    lookup = BatchedLookup(source.fetch)
    assert await lookup.get(2) == 4
    assert await lookup.get(2) == 4  # read again: nothing is kept between turns
    assert source.batches == [[2], [2]]


async def test_a_lookup_asked_while_a_fetch_is_out_goes_in_the_next_one() -> None:
    source = Source()
    source.release.clear()
    lookup = BatchedLookup(source.fetch)
    first = asyncio.ensure_future(lookup.get(1))
    await asyncio.sleep(0.01)  # the first fetch is out, waiting
    second = asyncio.ensure_future(lookup.get(1))
    await asyncio.sleep(0.01)
    source.release.set()
    assert list(await asyncio.gather(first, second)) == [1, 1]
    assert source.batches == [[1], [1]]  # asked after the first fetch was sent: read afresh


async def test_a_long_turn_is_split_into_batches_of_at_most_max_batch() -> None:
    source = Source()
    lookup = BatchedLookup(source.fetch, max_batch=3)
    answers = await asyncio.gather(*(lookup.get(k) for k in range(7)))
    assert answers == [k * k for k in range(7)]
    assert source.batches == [[0, 1, 2], [3, 4, 5], [6]]


async def test_what_the_fetch_raises_reaches_every_lookup_of_its_batch() -> None:
    source = Source(error=ConnectionError("gone"))
    lookup = BatchedLookup(source.fetch)
    answers = await asyncio.gather(*(lookup.get(k) for k in [1, 2, 1]), return_exceptions=True)
    assert all(isinstance(a, ConnectionError) for a in answers)
    source.error = None
    assert await lookup.get(1) == 1  # the next turn is not affected


async def test_a_cancelled_lookup_leaves_the_others_of_its_batch_answered() -> None:
    source = Source()
    source.release.clear()
    lookup = BatchedLookup(source.fetch)
    leaving = asyncio.ensure_future(lookup.get(1))
    staying = asyncio.ensure_future(lookup.get(1))
    other = asyncio.ensure_future(lookup.get(2))
    await asyncio.sleep(0.01)
    leaving.cancel()
    source.release.set()
    assert list(await asyncio.gather(staying, other)) == [1, 4]
    assert leaving.cancelled()


def test_a_batch_left_on_a_loop_that_stopped_does_not_hold_up_the_next_loop() -> None:
    source = Source()
    lookup = BatchedLookup(source.fetch)
    stopped = asyncio.new_event_loop()
    orphan = stopped.create_task(lookup.get(1))
    stopped.call_soon(stopped.stop)
    stopped.run_forever()  # get(1) asked; its batch's turn never comes: the loop is stopped
    assert not orphan.done()
    assert asyncio.run(lookup.get(2)) == 4
    assert source.batches == [[2]]
    stopped.run_until_complete(asyncio.sleep(0))  # the stale dispatch runs and does nothing
    assert orphan.cancelled(), "the dropped batch's caller was left waiting"
    stopped.close()
    assert source.batches == [[2]]


async def test_a_key_the_fetch_could_not_read_fails_its_own_lookups_alone() -> None:
    async def fetch(keys: Sequence[int]) -> Mapping[int, int | KeyFailed]:
        return {k: KeyFailed(ValueError(f"row {k} is corrupt")) if k == 2 else k * k for k in keys}

    lookup = BatchedLookup(fetch)
    answers = await asyncio.gather(*(lookup.get(k) for k in [1, 2, 3, 2]), return_exceptions=True)
    assert answers[0] == 1 and answers[2] == 9
    assert all(isinstance(a, ValueError) and "row 2" in str(a) for a in (answers[1], answers[3]))


class Leaving(BaseException):
    """Neither an Exception nor a cancellation (as SystemExit or KeyboardInterrupt)."""


async def test_a_fetch_that_raises_past_exception_leaves_no_caller_waiting() -> None:
    async def fetch(keys: Sequence[int]) -> Mapping[int, int]:
        raise Leaving

    lookup = BatchedLookup(fetch)
    callers = [asyncio.ensure_future(lookup.get(k)) for k in (1, 2)]
    done, pending = await asyncio.wait(callers, timeout=1)
    assert not pending, "a caller was left waiting"
    assert all(caller.cancelled() for caller in done)


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        BatchedLookup(Source().fetch, max_batch=0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 20), max_size=12), max_size=5), st.integers(1, 6))
def test_every_lookup_gets_its_own_key_s_answer(turns: list[list[int]], max_batch: int) -> None:
    """Whatever the keys and turns: each answer is its key's, each batch has distinct keys and
    at most `max_batch` of them, and a turn's keys are fetched once each."""

    async def scenario() -> None:
        source = Source(known=set(range(0, 21, 2)))
        lookup = BatchedLookup(source.fetch, max_batch=max_batch)
        for keys in turns:
            before = len(source.batches)
            answers = await asyncio.gather(*(lookup.get(k) for k in keys))
            assert answers == [k * k if k % 2 == 0 else None for k in keys]
            fetched = [k for batch in source.batches[before:] for k in batch]
            assert sorted(fetched) == sorted(set(keys))
            assert all(0 < len(b) <= max_batch for b in source.batches[before:])

    asyncio.run(scenario())
