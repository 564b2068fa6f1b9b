from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.catalog import (
    CATEGORY_NAME_MAX,
    PRODUCT_NAME_MAX,
    check_description,
    check_name,
    check_slug,
    check_stock,
)
from domain.errors import InvalidInput
from domain.text import PLAIN_TEXT_PATTERN, has_bidi_control, has_control

slugs = st.from_regex(r"\A[a-z0-9-]{0,49}\Z").flatmap(
    lambda s: st.sampled_from("abcdefghijklmnopqrstuvwxyz").map(lambda letter: (s + letter)[-50:])
)


@given(slugs)
def test_every_slug_of_the_slug_alphabet_with_a_letter_is_accepted(slug: str) -> None:
    if slug == "all":
        return
    assert check_slug(slug) == slug


@given(st.from_regex(r"\A[0-9-]{1,50}\Z"))
def test_a_slug_without_a_letter_is_refused_so_it_never_reads_as_an_id(slug: str) -> None:
    with pytest.raises(InvalidInput):
        check_slug(slug)


@pytest.mark.parametrize(
    "slug",
    [
        "all",
        "",
        "Books",
        "BOOKS",
        "books!",
        "with space",
        "under_score",
        "a" * 51,
        "книги",
        "books\n",
        "\nbooks",
    ],
)
def test_reserved_uppercase_and_foreign_slugs_are_refused(slug: str) -> None:
    with pytest.raises(InvalidInput) as error:
        check_slug(slug)
    assert error.value.errors[0].field == "slug"


@pytest.mark.parametrize("slug", ["a", "all-books", "books-2", "2-books", "-", "a" * 50])
def test_edge_slugs_are_accepted(slug: str) -> None:
    if slug == "-":
        with pytest.raises(InvalidInput):
            check_slug(slug)
    else:
        assert check_slug(slug) == slug


@given(
    st.text(min_size=1, max_size=PRODUCT_NAME_MAX).filter(
        lambda n: n.strip() and not has_control(n) and not has_bidi_control(n)
    )
)
def test_a_name_is_kept_without_its_surrounding_spaces(name: str) -> None:
    assert check_name(name, PRODUCT_NAME_MAX) == name.strip()


@pytest.mark.parametrize(
    "name", ["", "   ", "x" * (CATEGORY_NAME_MAX + 1), "a\x00b", "line\nbreak", "cr\rname"]
)
def test_empty_long_and_control_character_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput) as error:
        check_name(name, CATEGORY_NAME_MAX)
    assert error.value.errors[0].field == "name"


def test_a_name_of_exactly_the_maximum_length_is_accepted() -> None:
    assert check_name("x" * CATEGORY_NAME_MAX, CATEGORY_NAME_MAX) == "x" * CATEGORY_NAME_MAX
    assert check_name("я" * PRODUCT_NAME_MAX, PRODUCT_NAME_MAX) == "я" * PRODUCT_NAME_MAX


def test_a_description_is_up_to_500_characters_without_nul() -> None:
    assert check_description("") == ""
    assert check_description("d" * 500) == "d" * 500
    with pytest.raises(InvalidInput):
        check_description("d" * 501)
    with pytest.raises(InvalidInput):
        check_description("nul\x00")


@given(st.one_of(st.none(), st.integers(min_value=0, max_value=2_000_000_000)))
def test_stock_is_untracked_or_a_count_of_zero_or_more(stock: int | None) -> None:
    assert check_stock(stock) == stock


@given(st.integers(max_value=-1) | st.integers(min_value=2_000_000_001))
def test_negative_or_absurd_stock_is_refused(stock: int) -> None:
    with pytest.raises(InvalidInput):
        check_stock(stock)


@pytest.mark.parametrize("ch", ["\u061c", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069"])
def test_a_name_with_a_bidi_control_is_refused_by_the_domain_and_the_edge(ch: str) -> None:
    with pytest.raises(InvalidInput):
        check_name(f"a{ch}b", 50)
    assert not re.search(PLAIN_TEXT_PATTERN, f"a{ch}b")
    assert re.search(PLAIN_TEXT_PATTERN, "\u0627\u0644\u0634\u0627\u064a")  # Arabic text itself is fine
