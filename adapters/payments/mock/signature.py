"""`X-Mock-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` (Stripe's scheme).

Several `v1=` entries may be present while a secret is being rotated; one match suffices.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from domain.errors import NotAuthenticated

HEADER = "x-mock-signature"
TOLERANCE_SECONDS = 300
_MAX_HEADER_LENGTH = 4096


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secrets: str | Iterable[str], timestamp: int, body: bytes) -> str:
    """The header value for `body`, with one `v1=` entry per secret."""
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    entries = ",".join(f"v1={signature(key, timestamp, body)}" for key in keys)
    return f"t={timestamp},{entries}"


def verify(
    header: str | None, body: bytes, secret: str, now: int, tolerance: int = TOLERANCE_SECONDS
) -> None:
    """Return quietly for a valid header; NotAuthenticated says what is wrong otherwise."""
    if not header:
        raise NotAuthenticated("the webhook signature header is missing")
    if len(header) > _MAX_HEADER_LENGTH:
        raise NotAuthenticated("the webhook signature header is malformed")
    timestamps: list[str] = []
    candidates: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise NotAuthenticated("the webhook signature header is malformed")
        if key == "t":
            timestamps.append(value.strip())
        elif key == "v1":
            candidates.append(value.strip())
    if len(timestamps) != 1 or not timestamps[0].isascii() or not timestamps[0].isdigit() or not candidates:
        raise NotAuthenticated("the webhook signature header is malformed")
    if len(timestamps[0]) > 12:
        raise NotAuthenticated("the webhook timestamp is outside the tolerance")
    timestamp = int(timestamps[0])
    if abs(now - timestamp) > tolerance:
        raise NotAuthenticated("the webhook timestamp is outside the tolerance")
    expected = signature(secret, timestamp, body).encode()
    # Compare every candidate in constant time; do not stop at the first match.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate.encode("ascii", "replace"))
    if not matched:
        raise NotAuthenticated("the webhook signature does not match")
