"""Decoding bodies by hand, for the few handlers that read the raw request."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from litestar.exceptions import ClientException, SerializationException

from domain.errors import FieldError, InvalidInput
from entrypoints.http.text_guard import readable

T = TypeVar("T")


def decode_json(body: bytes, kind: type[T]) -> T:
    """Decode a body by hand, with the same errors as Litestar's own parsing."""
    if not body:
        raise ClientException("the request body is required")
    try:
        # Well-formed first: a body that is both malformed and invalid is 400, as in Litestar's parsing.
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError as error:
        raise ClientException("the request body is not valid JSON") from SerializationException(str(error))
    return decode_value(raw, kind)


def decode_value(value: Any, kind: type[T]) -> T:
    try:
        return msgspec.convert(value, type=kind)
    except msgspec.ValidationError as error:
        raise _invalid(error) from None


def _invalid(error: msgspec.ValidationError) -> InvalidInput:
    message, _, where = str(error).partition(" - at `$")
    message = readable(message)
    field = where.rstrip("`").lstrip(".") or "body"
    if field == "body" and "field `" in message:
        field = message.split("`")[1]
    return InvalidInput(message, [FieldError(field, message)])
