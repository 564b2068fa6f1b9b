from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.money import MAX_PRICE, MONEY_STRING, Money, parse_amount, parse_price

two_place_amounts = st.decimals(
    min_value=Decimal("-99999999999.99"), max_value=Decimal("99999999999.99"), places=2
)
prices = st.decimals(min_value=Decimal("0.01"), max_value=MAX_PRICE, places=2)


@given(two_place_amounts)
def test_an_amount_with_two_places_parses_to_itself_from_a_number(amount: Decimal) -> None:
    assert parse_amount(amount) == amount


@given(two_place_amounts)
def test_money_keeps_an_amount_exactly_in_minor_units(amount: Decimal) -> None:
    money = Money.of(amount, "RUB")
    assert money.minor == int(amount * 100)
    assert money.amount == amount


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10**12))
def test_adding_money_adds_minor_units(a: int, b: int) -> None:
    assert (Money(a, "RUB") + Money(b, "RUB")).minor == a + b


def test_money_of_different_currencies_does_not_add() -> None:
    with pytest.raises(ValueError, match="RUB"):
        Money(1, "RUB") + Money(1, "USD")


def test_multiplying_money_by_a_quantity_multiplies_minor_units() -> None:
    assert Money(14990, "RUB") * 3 == Money(44970, "RUB")


def test_an_amount_is_printed_with_two_places_and_its_currency() -> None:
    assert str(Money(14990, "RUB")) == "149.90 RUB"
    assert Money(100, "RUB").amount == Decimal("1.00")


@given(st.decimals(places=3, allow_nan=False, allow_infinity=False, min_value=-(10**6), max_value=10**6))
def test_a_third_decimal_place_is_refused_unless_it_is_zero(amount: Decimal) -> None:
    if amount == amount.quantize(Decimal("0.01")):
        assert parse_amount(amount) == amount
    else:
        with pytest.raises(InvalidInput):
            parse_amount(amount)


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda f: round(f, 2)))
def test_a_json_number_with_two_decimals_reads_as_its_shortest_decimal(number: float) -> None:
    assert parse_amount(number) == Decimal(repr(number)).quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    "raw",
    ["NaN", "nan", "sNaN", "-NaN", "Infinity", "-Infinity", "inf", float("nan"), float("inf"), float("-inf")],
)
def test_not_a_number_and_infinity_are_refused(raw: object) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_amount(raw)  # type: ignore[arg-type]
    assert error.value.errors[0].field == "amount"


@pytest.mark.parametrize("raw", ["1e400", "1E+21", "-1e30", 1e300, "9" * 30])
def test_exponents_beyond_range_are_refused(raw: object) -> None:
    with pytest.raises(InvalidInput):
        parse_amount(raw)  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["1e-400", "0.001", "1.005", 0.001])
def test_tiny_fractions_are_refused_rather_than_rounded(raw: object) -> None:
    with pytest.raises(InvalidInput):
        parse_amount(raw)  # type: ignore[arg-type]


def test_a_number_whose_exponent_lands_on_two_places_is_the_same_amount() -> None:
    assert parse_amount(Decimal("1.5e2")) == Decimal("150.00")
    assert parse_amount(Decimal("12345e-2")) == Decimal("123.45")


@pytest.mark.parametrize("raw", ["", "abc", "1,50", "1.2.3", True, False, None, [], "0x10"])
def test_what_is_not_a_number_is_refused(raw: object) -> None:
    with pytest.raises(InvalidInput):
        parse_amount(raw)  # type: ignore[arg-type]


@given(prices)
def test_every_positive_two_place_price_up_to_the_maximum_is_accepted(price: Decimal) -> None:
    assert parse_price(str(price)) == price


@pytest.mark.parametrize("raw", ["0", "0.00", "-0.01", "-5", "100000000.00", "99999999.991"])
def test_a_price_must_be_positive_and_at_most_the_maximum(raw: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_price(raw)
    assert error.value.errors[0].field == "price"


def test_the_price_bounds_are_inclusive() -> None:
    assert parse_price("0.01") == Decimal("0.01")
    assert parse_price("99999999.99") == MAX_PRICE


# ---- the money string -------------------------------------------------------------

money_values = st.decimals(min_value=0, max_value=Decimal("99999999999999999999.99"), places=2)


@given(money_values, st.sampled_from(["{:f}", "{:.2f}"]))
def test_every_two_place_amount_written_in_digits_round_trips(amount: Decimal, spelling: str) -> None:
    written = spelling.format(amount)
    assert parse_amount(written) == amount
    assert str(parse_amount(written)) == f"{amount:.2f}"


@given(st.integers(min_value=0, max_value=10**18), st.integers(min_value=0, max_value=9))
def test_one_decimal_and_none_are_money_strings_too(whole: int, tenth: int) -> None:
    assert parse_amount(str(whole)) == Decimal(whole)
    assert parse_amount(f"{whole}.{tenth}") == Decimal(f"{whole}.{tenth}")


@given(st.text(max_size=30).filter(lambda text: not MONEY_STRING.fullmatch(text)))
def test_any_other_string_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_amount(text)


other_digits = st.characters(categories=["Nd"]).filter(lambda ch: not "0" <= ch <= "9")


@given(
    money_values.map("{:f}".format),
    st.one_of(
        st.sampled_from(["_", "+", "-", " ", "\t", "e2", "E-1", ",", "\u00a0", "\x00"]),
        other_digits,
    ),
    st.integers(min_value=0, max_value=30),
)
def test_a_money_string_with_a_sign_gap_exponent_or_foreign_digit_is_refused(
    written: str, intruder: str, where: int
) -> None:
    where = min(where, len(written))
    with pytest.raises(InvalidInput):
        parse_amount(written[:where] + intruder + written[where:])


@pytest.mark.parametrize(
    "raw",
    [
        "1_000",
        "+5",
        " 5",
        "5 ",
        "5e2",
        "\u0665",
        "\u0661\u0662.\u0665\u0660",
        "-5",
        "12.",
        ".5",
        "12.505",
        "0x10",
    ],
)
def test_the_refused_spellings(raw: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_amount(raw, "price")
    assert error.value.errors[0].field == "price"


@given(st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=0, max_value=10**6))
def test_a_number_is_taken_at_its_exact_value(number: Decimal) -> None:
    if number == number.quantize(Decimal("0.01")):
        assert parse_amount(number) == number
    else:
        with pytest.raises(InvalidInput):
            parse_amount(number)
