"""What every HTTP answer carries: the request id and the security headers.

The rules live here; `entrypoints.http.fast_path.edge` applies them, with the access log,
the HTTP metrics and the hashing-admission clock, in one layer around Litestar's router.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from litestar.types import Scope

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_HEADER = REQUEST_ID_HEADER.encode()
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# On every response: browsers must take the declared content type at its word.
NOSNIFF = (b"x-content-type-options", b"nosniff")
# On every HTML page: never shown inside another site's frame (clickjacking). A page that
# sets either header itself keeps its own (its policy must say `frame-ancestors 'none'` too).
_FRAMING = ((b"x-frame-options", b"DENY"), (b"content-security-policy", b"frame-ancestors 'none'"))


def callers_request_id(scope: Scope) -> str | None:
    """The caller's `X-Request-ID` when it is a safe one (else a new id is made)."""
    for name, value in scope["headers"]:
        if name == _REQUEST_ID_HEADER:
            incoming = value.decode("latin-1")
            return incoming if _SAFE_REQUEST_ID.match(incoming) else None
    return None


def request_id_header(request_id: str) -> tuple[bytes, bytes]:
    return (_REQUEST_ID_HEADER, request_id.encode("latin-1"))


def answer_headers(
    headers: Iterable[tuple[bytes, bytes]], request_id: tuple[bytes, bytes]
) -> list[tuple[bytes, bytes]]:
    """An answer's headers with the request id and the security headers every answer carries
    (`NOSNIFF`, and on HTML the framing ban)."""
    out = [*headers, request_id, NOSNIFF]
    if _is_html(out):
        present = {name.lower() for name, _ in out}
        out += [pair for pair in _FRAMING if pair[0] not in present]
    return out


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(value.startswith(b"text/html") and name.lower() == b"content-type" for name, value in headers)
