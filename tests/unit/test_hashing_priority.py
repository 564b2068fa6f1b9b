"""Password hashing yields the CPU to request handling."""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from adapters.security.passwords import HASHING_NICENESS, lower_thread_priority


def own_niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice values are a Linux feature")
def test_hashing_threads_run_at_a_lower_priority_than_the_rest_of_the_process() -> None:
    before = own_niceness()
    with ThreadPoolExecutor(max_workers=1, initializer=lower_thread_priority) as pool:
        in_pool = pool.submit(own_niceness).result()
    assert in_pool == max(before, HASHING_NICENESS)
    assert own_niceness() == before
