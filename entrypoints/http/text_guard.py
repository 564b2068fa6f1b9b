"""Control characters in a URL, refused once for every route before any handler sees them.

A request's path and query string are text the app may look things up by or store: a
NUL (PostgreSQL refuses it in text) or any other control character there is never part
of a valid value. So, for every route at once (routes added later included):

- in the path, it is 404: every path segment names something (an id, a slug, a provider
  payment id), and nothing is named that way;
- in the query string, it is 422 naming the parameter.

An integer path parameter (`{order_id:int}`) is ASCII digits and nothing else, or the
path names nothing (404): Python's `int()` alone would also read `+1`, ` 1`, `1_0` and
non-ASCII digits such as `١` or `１`, so that many paths would name one resource. The
middleware runs after routing, so it compares the matched route's template with the path.

Headers need no check here: the HTTP server refuses control characters in them, and the
one header the app stores (`Idempotency-Key`) has its own pattern.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from domain.catalog import SLUG_PATTERN
from domain.errors import FieldError, InvalidInput, NotFound
from domain.text import (
    CONTROL_CLASS,
    DESCRIPTION_PATTERN,
    EMAIL_PATTERN,
    NO_NUL_PATTERN,
    PLAIN_TEXT_PATTERN,
    VISIBLE_ASCII_PATTERN,
)

_CONTROL = re.compile(f"[{CONTROL_CLASS}]")
_CONTROL_BYTE = re.compile(rb"[\x00-\x1f\x7f]")
_ASCII_DIGITS = re.compile(r"[0-9]+")


def text_guard_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP:
            check_url_text(scope["path"], scope["query_string"])
            check_int_segments(scope)
        await app(scope, receive, send)

    return middleware


def check_url_text(path: str, query_string: bytes) -> None:
    """NotFound for a control character in the (decoded) path, InvalidInput in the query."""
    if _CONTROL.search(path):
        raise NotFound("not found")
    # The common case, cheaply: plain ASCII with no escape and no control byte.
    if b"%" not in query_string and query_string.isascii() and not _CONTROL_BYTE.search(query_string):
        return
    text = query_string.decode("utf-8", errors="replace")
    errors = [
        FieldError(name if not _CONTROL.search(name) else "query", "must not contain control characters")
        for name, value in parse_qsl(text, keep_blank_values=True, errors="replace")
        if _CONTROL.search(name) or _CONTROL.search(value)
    ]
    if errors:
        raise InvalidInput("the query string holds a control character", errors)


def check_int_segments(scope: Scope) -> None:
    """NotFound unless every integer path parameter is written in ASCII digits only.

    Routing has parsed the parameters (`path_params`: an `int` for each `{name:int}`) and
    reports the matched template without types (`path_template`: `/orders/{order_id}`),
    so the raw segment at the place of each integer parameter is judged here."""
    params: dict[str, Any] = dict(scope.get("path_params") or {})  # parsed values, not str
    if not params or not any(type(value) is int for value in params.values()):
        return
    template = scope.get("path_template", "").split("/")
    segments = scope["path"].split("/")
    if len(template) != len(segments):
        return
    for name_segment, segment in zip(template, segments, strict=True):
        is_int = name_segment[:1] == "{" and type(params.get(name_segment[1:-1])) is int
        if is_int and not _ASCII_DIGITS.fullmatch(segment):
            raise NotFound("not found")


# ---- messages ----------------------------------------------------------------
#
# The decoder names a broken pattern by the pattern itself; an API client reads the rule.

PATTERN_RULES = {
    PLAIN_TEXT_PATTERN: "must not contain control or bidi control characters",
    DESCRIPTION_PATTERN: "must not contain control characters other than tab and line breaks",
    EMAIL_PATTERN: "must be an email address without spaces, control or invisible characters",
    NO_NUL_PATTERN: "must not contain NUL characters",
    SLUG_PATTERN: "must be a-z, 0-9 and '-', with at least one letter",
    VISIBLE_ASCII_PATTERN: "must be visible ASCII characters",
}
_BROKEN_PATTERN = re.compile(r"Expected `str` matching regex '(?:[^'\\]|\\.)*'")


def readable(message: str) -> str:
    """A decoding error message with any regex in it replaced by the rule it stands for."""
    if "matching regex" not in message:
        return message
    for pattern, rule in PATTERN_RULES.items():
        message = message.replace(f"Expected `str` matching regex {pattern!r}", rule)
    return _BROKEN_PATTERN.sub("does not match the pattern the API documents for it", message)


_BODY_NOT_OBJECT = re.compile(r"^Expected `object(?: \| null)?`, got `[^`]+`$")


def body_message(message: str) -> str:
    """A decoding error about the whole body, in the API's words: a body that must be an object
    and is not says so (an optional body's "Expected `object | null`" would offer `null`,
    which its route refuses)."""
    return "must be an object" if _BODY_NOT_OBJECT.match(message) else message
