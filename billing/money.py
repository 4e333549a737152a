"""Money: integers of nano-units of the platform currency, never floats.

One unit of the platform currency (USD by default) is 1,000,000,000 nano-units, fine enough
for per-token prices ($0.27 per million tokens is 270 nano-dollars a token). Prices are stored
per million tokens; a request's cost is computed exactly with integers and rounded up to the
next nano-unit once, at the end (`cost_of`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from fractions import Fraction

NANOS = 10**9
TOKENS_PER_PRICE_UNIT = 1_000_000
# No single amount is larger than this (in whole units); it keeps Decimal arithmetic exact.
LARGEST_AMOUNT = 10**12


class InvalidAmount(ValueError):
    pass


def to_nanos(value: str | int | Decimal) -> int:
    """Parse an amount of the platform currency ("12.50") into nano-units, exactly."""
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise InvalidAmount(f"Not an amount: {value!r}") from error
    if not amount.is_finite() or amount.copy_abs() > LARGEST_AMOUNT:
        raise InvalidAmount(f"Not an amount: {value!r}")
    # Enough precision that nothing below is rounded: the result is exact or refused.
    with localcontext(prec=64):
        nanos = amount * NANOS
        if nanos != nanos.to_integral_value():
            raise InvalidAmount(f"More than nine decimal places: {value!r}")
    return int(nanos)


def to_decimal(nanos: int) -> Decimal:
    """Nano-units as an exact Decimal of the platform currency."""
    return Decimal(nanos) / NANOS


def format_amount(nanos: int, *, places: int = 2) -> str:
    """Show an amount with at least `places` decimals and never hide a non-zero digit."""
    exact = to_decimal(nanos).normalize()
    exponent = exact.as_tuple().exponent
    shown = max(places, -exponent if isinstance(exponent, int) else places)
    return f"{exact:.{shown}f}"


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class Rates:
    """A model's prices in nano-units per million tokens, and a per-request fee."""

    input_per_million: int
    cached_input_per_million: int
    output_per_million: int
    request_fee: int = 0


def cost_of(usage: Usage, rates: Rates, *, multiplier: Decimal = Decimal(1)) -> int:
    """The cost in nano-units: exact arithmetic, then rounded up to the next nano-unit once.

    `cached_input_tokens` are the part of `input_tokens` served from the provider's cache.
    """
    uncached = usage.input_tokens - usage.cached_input_tokens
    if min(uncached, usage.cached_input_tokens, usage.output_tokens) < 0:
        raise ValueError(f"Impossible usage: {usage}")
    per_million = (
        uncached * rates.input_per_million
        + usage.cached_input_tokens * rates.cached_input_per_million
        + usage.output_tokens * rates.output_per_million
    )
    exact = (Fraction(per_million, TOKENS_PER_PRICE_UNIT) + rates.request_fee) * Fraction(
        multiplier
    )
    return -(-exact.numerator // exact.denominator)
