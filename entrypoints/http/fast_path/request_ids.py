"""Request ids from the fast PRNG.

Measured (docs/performance.md, "Per-request framework work"): `uuid4()` was ~3 % of a
get-product request's CPU (a `getrandom` system call per request). Correlation ids guard
nothing, so 128 bits of `random`'s Mersenne Twister do, in the same format: 32 hex digits.
"""

from __future__ import annotations

import random


def new_request_id() -> str:
    """32 random hex digits, like a UUID4's."""
    return f"{random.getrandbits(128):032x}"
