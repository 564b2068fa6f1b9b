"""The body gate: nesting measured on the bytes, UTF-8 everywhere, numbers as exact decimals."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput, MalformedInput
from entrypoints.http.bodies import MAX_DEPTH, nested_deeper_than, parse_form, parse_json

# Strings full of what could fool a scan for brackets: brackets, quotes and backslashes.
tricky_text = st.text(st.sampled_from('[]{}"\\/:,ab\u00e9\U0001f600'), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | tricky_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tricky_text, inner, max_size=4),
    max_leaves=60,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(item) for item in value.values()), default=0)
    return 0


def nest(value: Any, levels: int) -> Any:
    for level in range(levels):
        value = [value] if level % 2 else {"k": value}
    return value


@given(json_values, st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=40))
def test_the_measured_depth_is_the_documents_depth(value: Any, extra: int, limit: int) -> None:
    document = nest(value, extra)
    for text in (json.dumps(document), json.dumps(document, ensure_ascii=False, indent=1)):
        assert nested_deeper_than(text.encode(), limit) == (depth(document) > limit), text


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 100, 1000, 100_000])
def test_more_than_32_levels_is_malformed(levels: int) -> None:
    for body in (b"[" * levels + b"]" * levels, b'{"a":' * levels + b"1" + b"}" * levels):
        with pytest.raises(MalformedInput, match="deeper than 32"):
            parse_json(body)


def test_32_levels_are_read() -> None:
    assert depth(parse_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)) == MAX_DEPTH


def test_brackets_inside_strings_are_text() -> None:
    body = json.dumps({"a": "[" * 1000, "b": '\\"[[[', "c": ["\\", "{{{{"]}).encode()
    assert parse_json(body)["a"] == "[" * 1000


@pytest.mark.parametrize(
    "body",
    [
        b'"\\"' + b'\\"' * 300_000,
        b"[" * 40 + b'"a' * 300_000,
        b"[" * 40 + b'"' + b"\\" * 600_000,
        b"[" * (1 << 20),
    ],
)
def test_measuring_a_hostile_megabyte_stays_linear(body: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(MalformedInput):
        parse_json(body)
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    "body",
    [
        b'"\xff"',
        b'{"\xff": 1}',
        b'["\xed\xa0\x80"]',
        b'["\xc0\xaf"]',
        b'"\\ud800"',
        b"[1\xff]",
        b"\xef\xbb\xbf[]",
    ],
)
def test_what_is_not_utf8_anywhere_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedInput):
        parse_json(body)


def test_numbers_are_exact_decimals_and_integers_stay_integers() -> None:
    assert parse_json(b"[0.1, 1e400, 12345678901234567.01, 7, 99999999999999999999]") == [
        Decimal("0.1"),
        Decimal("1e400"),
        Decimal("12345678901234567.01"),
        7,
        99999999999999999999,
    ]


def test_an_integer_no_type_can_hold_is_a_broken_rule_not_malformed() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_json(b"[1" + b"0" * 5000 + b"]")
    assert not isinstance(error.value, MalformedInput)


def test_a_form_is_read_as_utf8() -> None:
    assert parse_form(b"username=zo%C3%AB&password=a+b&x=1&x=2") == {
        "username": "zo\u00eb",
        "password": "a b",
        "x": ["1", "2"],
    }
    for body in (b"username=%FF", b"username=\xff", b"a=%ED%A0%80"):
        with pytest.raises(MalformedInput):
            parse_form(body)
