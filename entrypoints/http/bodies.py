"""Reading request bodies: the one gate every body passes, and decoding by hand.

A body is judged the first time anything reads it — Litestar decoding a handler's
`data`, a handler reading the raw bytes (login, webhooks, the idempotency fingerprint)
— by `CheckedRequest.body`, so nothing ever sees a body that was not judged:

- malformed (400): not JSON, not UTF-8 anywhere (strings included), or nested deeper
  than `MAX_DEPTH` levels; a url-encoded form whose bytes or percent-escapes are not
  UTF-8;
- well-formed JSON is decoded once, numbers with a fraction or an exponent as exact
  `Decimal`s (never floats), so that `1e400` reaches the field it was meant for and is
  refused there (422) like any value that breaks a rule;
- a JSON body meant for a handler's `data` is then checked strictly against its type
  before Litestar converts it (Litestar's own conversion is lax, made for query strings:
  it would read `"1"` as the integer 1 and `"true"` as a boolean). A string where an
  integer or a boolean belongs, or `null` where an object belongs, is 422; money fields
  still take a decimal string or a number (`entrypoints.http.money`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.datastructures import FormMultiDict
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException
from litestar.types import Empty

from domain.errors import FieldError, InvalidInput, MalformedInput
from entrypoints.http.money import TYPE_DECODERS
from entrypoints.http.text_guard import body_message, readable

T = TypeVar("T")

MAX_DEPTH = 32
_DATA_CHECKED = "storefront.data_checked"

_decoder = msgspec.json.Decoder(float_hook=Decimal)
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_ONE_KIND = bytes.maketrans(b"{}", b"[]")


def parse_json(body: bytes) -> Any:
    """A JSON document, or MalformedInput (400); a number no type can hold is 422."""
    if nested_deeper_than(body, MAX_DEPTH):
        raise MalformedInput(f"the request body is nested deeper than {MAX_DEPTH} levels")
    try:
        return _decoder.decode(body)
    except UnicodeDecodeError:
        raise MalformedInput("the request body is not valid UTF-8") from None
    except (msgspec.ValidationError, ArithmeticError):
        # Well-formed, but an integer with more digits than any type holds, or a number whose
        # exponent no Decimal holds (`1E+999999999999999999999`: decimal.InvalidOperation).
        raise InvalidInput.for_field("body", "holds a number out of range") from None
    except (msgspec.DecodeError, RecursionError):
        raise MalformedInput("the request body is not valid JSON") from None


def nested_deeper_than(body: bytes, limit: int) -> bool:
    """Whether the JSON text nests arrays and objects more than `limit` levels deep.

    Measured on the bytes, before any parser recurses into them, with a few passes of
    C code and no Python loop per byte: escape pairs are dropped (`\\\\` first, then
    `\\"`), so that the text between quotes alternates outside and inside strings
    (brackets inside strings do not count); the brackets outside are kept, and the
    innermost pairs removed one level at a time. Unbalanced text is left to the parser.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside_strings = b"".join(unescaped.split(b'"')[::2])
    skeleton = outside_strings.translate(_ONE_KIND, _NOT_BRACKETS)
    for _ in range(limit):
        shorter = skeleton.replace(b"[]", b"")
        if not shorter or len(shorter) == len(skeleton):
            return False
        skeleton = shorter
    return True


def parse_form(body: bytes) -> dict[str, str | list[str]]:
    """A url-encoded form, shaped as Litestar keeps it; bytes that are not UTF-8 are 400."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), encoding="utf-8", errors="strict", separator="&")
    except UnicodeDecodeError:
        raise MalformedInput("the form is not valid UTF-8") from None
    fields: dict[str, list[str]] = {}
    for key, value in pairs:
        fields.setdefault(key, []).append(value)
    return {key: values if len(values) > 1 else values[0] for key, values in fields.items()}


class CheckedRequest(Request[Any, Any, Any]):
    """The app's request: its body is judged as it is first read (see the module)."""

    async def body(self) -> bytes:
        body = await super().body()
        if body:
            self._judge(body)
        return body

    async def json(self) -> Any:
        body = await self.body()
        if not body:
            return None
        state = self._connection_state
        if state.json is Empty:
            # A url-encoded content type on a JSON route: the body is still judged as JSON.
            state.json = parse_json(body)
        self._check_data(state.json)
        return state.json

    def _check_data(self, value: Any) -> None:
        """422 unless `value` is exactly what the handler's `data` parameter takes."""
        if self.scope.get(_DATA_CHECKED):
            return
        data = self.route_handler.parsed_fn_signature.parameters.get("data")
        if data is not None:
            decode_value(value, data.annotation)
        self.scope[_DATA_CHECKED] = True  # type: ignore[literal-required]

    async def form(self) -> FormMultiDict:
        await self.body()  # judged (a url-encoded form: parsed) before Litestar looks
        return await super().form()

    def _judge(self, body: bytes) -> None:
        state = self._connection_state
        if state.json is not Empty or state.form is not Empty:
            return
        if self.content_type[0] == RequestEncodingType.URL_ENCODED:
            state.form = parse_form(body)  # type: ignore[assignment]
        else:
            state.json = parse_json(body)


async def json_body(request: Request[Any, Any, Any], kind: type[T]) -> T:
    """Decode a body by hand, with the same errors as Litestar's own parsing."""
    if not await request.body():
        raise ClientException("the request body is required")
    return decode_value(await request.json(), kind)


def decode_value(value: Any, kind: type[T]) -> T:
    """Convert decoded JSON (or form fields) to a request struct; a broken rule is 422."""
    try:
        return msgspec.convert(value, type=kind, dec_hook=_dec_hook)
    except msgspec.ValidationError as error:
        raise _invalid(error) from None


def _dec_hook(kind: Any, value: Any) -> Any:
    for applies, decode in TYPE_DECODERS:
        if applies(kind):
            return decode(kind, value)
    raise TypeError(f"no decoder for {kind!r}")


def _invalid(error: msgspec.ValidationError) -> InvalidInput:
    message, _, where = str(error).partition(" - at `$")
    message = readable(message)
    field = where.rstrip("`").lstrip(".") or "body"
    if not where:
        message = body_message(message)
    if field == "body" and "field `" in message:
        field = message.split("`")[1]
    return InvalidInput(message, [FieldError(field, message)])
