"""Money arithmetic: nano-unit integers, exact prices, one rounding up per request."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.money import NANOS, InvalidAmount, Rates, Usage, cost_of, format_amount, to_nanos

tokens = st.integers(min_value=0, max_value=10_000_000)
# Up to $1,000 per million tokens, in nano-units.
prices = st.integers(min_value=0, max_value=1_000 * NANOS)
multipliers = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10), places=4)


@st.composite
def usages(draw: st.DrawFn) -> Usage:
    input_tokens = draw(tokens)
    cached = draw(st.integers(min_value=0, max_value=input_tokens))
    return Usage(input_tokens=input_tokens, cached_input_tokens=cached, output_tokens=draw(tokens))


@st.composite
def rates(draw: st.DrawFn) -> Rates:
    return Rates(draw(prices), draw(prices), draw(prices), draw(st.integers(0, NANOS)))


def exact_cost(usage: Usage, rate: Rates, multiplier: Decimal) -> Fraction:
    per_million = (
        (usage.input_tokens - usage.cached_input_tokens) * rate.input_per_million
        + usage.cached_input_tokens * rate.cached_input_per_million
        + usage.output_tokens * rate.output_per_million
    )
    return (Fraction(per_million, 1_000_000) + rate.request_fee) * Fraction(multiplier)


@given(usages(), rates(), multipliers)
def test_a_cost_is_the_exact_cost_rounded_up_to_the_next_nano_unit(usage, rate, multiplier):
    cost = cost_of(usage, rate, multiplier=multiplier)

    assert isinstance(cost, int)
    assert 0 <= cost - exact_cost(usage, rate, multiplier) < 1


@given(usages(), rates(), st.integers(min_value=1, max_value=1000))
def test_more_output_never_costs_less(usage, rate, extra):
    more = Usage(usage.input_tokens, usage.cached_input_tokens, usage.output_tokens + extra)

    assert cost_of(more, rate) >= cost_of(usage, rate)


@given(usages(), rates())
def test_rounding_happens_once_per_request_not_per_token_kind(usage, rate):
    # Rounding each part separately would overcharge by up to two nano-units more.
    parts = [
        cost_of(Usage(usage.input_tokens - usage.cached_input_tokens, 0, 0), rate),
        cost_of(Usage(usage.cached_input_tokens, usage.cached_input_tokens, 0), rate),
        cost_of(Usage(0, 0, usage.output_tokens), rate),
    ]
    assert cost_of(usage, rate) <= sum(parts) - 2 * rate.request_fee


def test_a_known_price_costs_what_the_price_list_says():
    deepseek = Rates(
        input_per_million=to_nanos("0.27"),
        cached_input_per_million=to_nanos("0.07"),
        output_per_million=to_nanos("1.10"),
    )
    usage = Usage(input_tokens=1_000, cached_input_tokens=400, output_tokens=500)

    # 600 * 270 + 400 * 70 + 500 * 1100 nano-dollars.
    assert cost_of(usage, deepseek) == 162_000 + 28_000 + 550_000
    assert cost_of(usage, deepseek, multiplier=Decimal("1.5")) == 1_110_000


def test_a_fraction_of_a_nano_unit_is_charged_as_a_whole_one():
    one_nano_per_million = Rates(1, 1, 1)

    assert cost_of(Usage(output_tokens=1), one_nano_per_million) == 1
    assert cost_of(Usage(), one_nano_per_million) == 0


def test_cached_tokens_cannot_exceed_input_tokens():
    with pytest.raises(ValueError, match="Impossible usage"):
        cost_of(Usage(input_tokens=1, cached_input_tokens=2), Rates(1, 1, 1))


@pytest.mark.parametrize(
    ("text", "nanos"),
    [("12.50", 12_500_000_000), ("0.000000001", 1), ("-3", -3 * NANOS), (" 7 ", 7 * NANOS)],
)
def test_amounts_parse_exactly(text, nanos):
    assert to_nanos(text) == nanos


@pytest.mark.parametrize("text", ["abc", "NaN", "Infinity", "1e999999999999", "0.0000000001", ""])
def test_amounts_that_are_not_exact_nano_units_are_refused(text):
    with pytest.raises(InvalidAmount):
        to_nanos(text)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_formatting_round_trips_and_hides_no_digit(nanos):
    assert to_nanos(format_amount(nanos)) == nanos


def test_formatting_shows_at_least_two_decimals():
    assert format_amount(12_500_000_000) == "12.50"
    assert format_amount(270) == "0.00000027"
    assert format_amount(0) == "0.00"
