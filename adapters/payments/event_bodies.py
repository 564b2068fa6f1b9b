"""A provider's event body decoded strictly: the one error mapping every gateway shares."""

from __future__ import annotations

from typing import TypeVar

import msgspec

from domain.errors import FieldError, InvalidInput, MalformedInput

T = TypeVar("T")


def decode_event(body: bytes, kind: type[T], what: str) -> T:
    """`body` as `kind`: MalformedInput for bytes that are not JSON ("the {what} body is not
    valid JSON"), InvalidInput naming the field otherwise."""
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as error:
        message, _, where = str(error).partition(" - at `$")
        field = where.rstrip("`").lstrip(".") or "body"
        raise InvalidInput(message, [FieldError(field, message)]) from None
    except msgspec.DecodeError:
        raise MalformedInput(f"the {what} body is not valid JSON") from None
