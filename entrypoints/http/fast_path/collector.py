"""The cyclic garbage collector in a served worker: what start-up built is left out of its walks.

CPython's full collection (of the oldest generation) walks every container object the process
holds. A served worker holds about 140 000 of them once started (modules, classes, functions,
the app with its routes, schemas and providers), and each full collection of those stopped the
worker for 130–170 ms on the benchmark machine: measured with `gc.callbacks` under the
tracked-order load, twelve such pauses per worker in a 35-second run. Every request in flight
on that worker waits out the pause, and that was most of the write path's p99
(docs/performance.md, "Plans kept and start-up frozen").

`gc.freeze()` moves every object alive at that moment into a permanent generation that
collections skip (Python's documentation of `gc.freeze`). After it a full collection walked
about 3 000 objects in about 3 ms. Objects made later are collected as before. An object of
start-up that later becomes garbage in a reference cycle is never reclaimed, so the freeze
happens once, at the end of a served worker's start-up (`app_from_env`), and never in a
process that builds many apps (the tests).
"""

from __future__ import annotations

import gc


async def freeze_start_up() -> None:
    """Collect start-up's garbage, then freeze everything still alive (Litestar start-up hook)."""
    gc.collect()
    gc.freeze()
