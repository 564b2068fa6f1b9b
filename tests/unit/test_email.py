"""The Email value object: lower-cased, never trimmed, nothing invisible in it.

Also checks that the HTTP edge's pattern (domain.text.EMAIL_PATTERN) never lets through
what the domain refuses for a character of the BMP, so the document does not promise more
than the API accepts."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.text import DEFAULT_IGNORABLE, EMAIL_PATTERN, PLAIN_TEXT_PATTERN, is_invisible
from domain.users import Email

# One representative, at least, of every class of character that must not be in an email.
INVISIBLE = {
    "soft hyphen": "\u00ad",
    "zero-width space": "\u200b",
    "zero-width non-joiner": "\u200c",
    "zero-width joiner": "\u200d",
    "left-to-right mark": "\u200e",
    "right-to-left mark": "\u200f",
    "right-to-left override": "\u202e",
    "left-to-right embedding": "\u202a",
    "word joiner": "\u2060",
    "first strong isolate": "\u2068",
    "arabic letter mark": "\u061c",
    "byte order mark": "\ufeff",
    "combining grapheme joiner": "\u034f",
    "variation selector": "\ufe0f",
    "hangul filler": "\u3164",
    "mongolian vowel separator": "\u180e",
    "arabic number sign": "\u0600",
    "tag character": "\U000e0041",
    "private use": "\ue000",
    "no-break space": "\u00a0",
    "ideographic space": "\u3000",
    "line separator": "\u2028",
    "em space": "\u2003",
    "space": " ",
    "tab": "\t",
    "newline": "\n",
    "NUL": "\x00",
    "DEL": "\x7f",
    "C1 next line": "\x85",
}

local_parts = st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=20)
domains = st.from_regex(r"[a-z0-9]{1,20}\.[a-z]{2,6}", fullmatch=True)
emails = st.builds(lambda local, domain: f"{local}@{domain}", local_parts, domains)
edge = re.compile(EMAIL_PATTERN)


@given(emails)
def test_a_plain_email_is_accepted_lower_cased_and_stable(email: str) -> None:
    parsed = Email.parse(email)
    assert parsed.value == email.lower()
    assert Email.parse(parsed.value) == parsed
    assert Email.parse(email.upper()) == parsed
    assert edge.search(email)


@pytest.mark.parametrize("name", sorted(INVISIBLE))
@pytest.mark.parametrize("where", ["start", "inside", "before @", "end"])
def test_every_invisible_character_class_is_refused_anywhere(name: str, where: str) -> None:
    ch = INVISIBLE[name]
    raw = {
        "start": f"{ch}ann@example.com",
        "inside": f"an{ch}n@example.com",
        "before @": f"ann{ch}@example.com",
        "end": f"ann@example.com{ch}",
    }[where]
    with pytest.raises(InvalidInput) as error:
        Email.parse(raw)
    assert error.value.errors[0].field == "email"
    if ord(ch) <= 0xFFFF:
        assert not edge.search(raw), "the edge's pattern must refuse it too"


@given(emails, st.characters().filter(is_invisible), st.integers(min_value=0))
@example("ann@example.com", "\u00ad", 2)
def test_any_invisible_character_anywhere_is_refused(email: str, ch: str, position: int) -> None:
    at = position % (len(email) + 1)
    raw = email[:at] + ch + email[at:]
    with pytest.raises(InvalidInput):
        Email.parse(raw)


def test_the_edge_pattern_refuses_every_bmp_character_the_domain_calls_invisible_and_assigned() -> None:
    """Unassigned code points and lone surrogates are left to the domain: the pattern would
    be as long as the Unicode tables."""
    missed = [
        f"U+{point:04X}"
        for point in range(0x10000)
        if is_invisible(chr(point))
        and unicodedata.category(chr(point)) not in {"Cn", "Cs"}
        and edge.search(f"a{chr(point)}b@example.com")
    ]
    assert not missed


def test_default_ignorable_ranges_are_ordered_and_disjoint() -> None:
    previous = -1
    for low, high in DEFAULT_IGNORABLE:
        assert previous < low <= high
        previous = high


@given(st.text(min_size=1, max_size=40))
def test_a_control_character_is_never_plain_text(text: str) -> None:
    has_control = any(unicodedata.category(ch) == "Cc" for ch in text)
    assert bool(re.search(PLAIN_TEXT_PATTERN, text)) is not has_control


def test_a_final_newline_does_not_slip_past_the_patterns() -> None:
    """Python's `$` also matches before a final newline; the patterns close that door."""
    assert not re.search(PLAIN_TEXT_PATTERN, "name\n")
    assert not edge.search("ann@example.com\n")


@pytest.mark.parametrize(
    "raw",
    [
        "ab@exa\u2800mple.com",  # Braille pattern blank
        "ab@exa\ufffcmple.com",  # object replacement character
        "ab@exa\ufffdmple.com",  # replacement character
    ],
)
def test_characters_that_draw_a_blank_or_a_placeholder_are_invisible(raw: str) -> None:
    with pytest.raises(InvalidInput):
        Email.parse(raw)
    assert not edge.search(raw), "the edge's pattern must refuse it too"


@pytest.mark.parametrize(
    "raw",
    [
        "a@\uff58.yy",  # fullwidth x
        "e\u0301x@x.yy",  # e + combining acute: NFKC composes it to é
        "\uff41nn@example.com",  # fullwidth a
        "ann@example.\u2163",  # roman numeral four
    ],
)
def test_an_email_must_equal_its_nfkc_normalisation(raw: str) -> None:
    with pytest.raises(InvalidInput) as error:
        Email.parse(raw)
    assert error.value.errors[0].message == "must be in Unicode normal form NFKC"


def test_composed_and_decomposed_look_alikes_are_not_two_accounts() -> None:
    assert Email.parse("\u00e9x@x.yy").value == "\u00e9x@x.yy"
    with pytest.raises(InvalidInput):
        Email.parse("e\u0301x@x.yy")


@pytest.mark.parametrize(
    "raw",
    ["\u0300ann@example.com", "ann@\u0300example.com", "ann@example.\u0300com", "ann@ex.\u20dd.com"],
)
def test_no_part_starts_with_a_combining_mark(raw: str) -> None:
    with pytest.raises(InvalidInput):
        Email.parse(raw)


def test_a_combining_mark_inside_a_part_is_kept_when_nothing_composes_it() -> None:
    # q + combining acute has no precomposed form: NFKC leaves it as it is.
    assert Email.parse("q\u0301@example.com").value == "q\u0301@example.com"
