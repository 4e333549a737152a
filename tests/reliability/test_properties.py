"""Property rows (hypothesis): money arithmetic, webhook signatures and privacy deadlines
hold their rules for every input hypothesis finds, not only the tables in the unit tests."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from billing.money import (
    LARGEST_AMOUNT,
    NANOS,
    Rates,
    Usage,
    cost_of,
    format_amount,
    to_decimal,
    to_nanos,
)
from billing.payments import WebhookError, creem, stripe, zpay
from privacy.deadlines import (
    RULES,
    Pause,
    Regime,
    add_business_days,
    add_calendar_months,
    deadlines,
)
from tests.fakes import payments as fake

amounts = st.integers(min_value=-LARGEST_AMOUNT * NANOS, max_value=LARGEST_AMOUNT * NANOS)
tokens = st.integers(min_value=0, max_value=10**9)
prices = st.integers(min_value=0, max_value=10**6 * NANOS)  # up to $1M per million tokens
multipliers = st.decimals(min_value=0, max_value=100, places=4)


@st.composite
def usages(draw: Any) -> Usage:
    total = draw(tokens)
    return Usage(
        input_tokens=total,
        cached_input_tokens=draw(st.integers(min_value=0, max_value=total)),
        output_tokens=draw(tokens),
    )


@st.composite
def rates(draw: Any) -> Rates:
    return Rates(draw(prices), draw(prices), draw(prices), draw(st.integers(0, 10 * NANOS)))


@given(amounts)
def test_amounts_round_trip_exactly_through_text(nanos: int):
    assert to_nanos(format_amount(nanos)) == nanos
    assert to_decimal(nanos) * NANOS == nanos


@given(st.decimals(min_value=-LARGEST_AMOUNT, max_value=LARGEST_AMOUNT, places=12))
def test_an_amount_parses_exactly_or_is_refused(value: Decimal):
    exact = value * NANOS
    if exact == exact.to_integral_value():
        assert to_nanos(str(value)) == int(exact)
    else:
        with pytest.raises(ValueError):
            to_nanos(str(value))


@given(usages(), rates(), multipliers)
def test_a_cost_is_the_exact_cost_rounded_up_once_and_never_negative(
    usage: Usage, price: Rates, multiplier: Decimal
):
    cost = cost_of(usage, price, multiplier=multiplier)
    exact = (
        Fraction(
            (usage.input_tokens - usage.cached_input_tokens) * price.input_per_million
            + usage.cached_input_tokens * price.cached_input_per_million
            + usage.output_tokens * price.output_per_million,
            10**6,
        )
        + price.request_fee
    ) * Fraction(multiplier)
    assert isinstance(cost, int)
    assert cost >= 0 and exact <= cost < exact + 1


@given(usages(), rates(), tokens, multipliers)
def test_more_tokens_never_cost_less(usage: Usage, price: Rates, more: int, multiplier: Decimal):
    bigger = Usage(usage.input_tokens + more, usage.cached_input_tokens, usage.output_tokens + more)
    assert cost_of(bigger, price, multiplier=multiplier) >= cost_of(
        usage, price, multiplier=multiplier
    )


@given(usages(), rates())
def test_splitting_a_request_never_saves_more_than_a_nano_unit_per_part(usage: Usage, price: Rates):
    price = Rates(price.input_per_million, price.cached_input_per_million, price.output_per_million)
    half = Usage(usage.input_tokens // 2, 0, usage.output_tokens // 2)
    rest = Usage(
        usage.input_tokens - half.input_tokens, 0, usage.output_tokens - half.output_tokens
    )
    whole = cost_of(Usage(usage.input_tokens, 0, usage.output_tokens), price)
    assert whole <= cost_of(half, price) + cost_of(rest, price) <= whole + 1


def mutations(data: bytes) -> st.SearchStrategy[bytes]:
    """`data` changed in one place: a byte flipped, cut, or added."""
    flip = st.tuples(st.integers(0, max(len(data) - 1, 0)), st.integers(1, 255)).map(
        lambda change: (
            data[: change[0]] + bytes([data[change[0]] ^ change[1]]) + data[change[0] + 1 :]
            if data
            else bytes([change[1]])
        )
    )
    return st.one_of(flip, st.just(data[:-1]), st.binary(min_size=1, max_size=4).map(data.__add__))


@given(st.data(), st.binary(max_size=300))
def test_creem_signatures_verify_and_any_change_breaks_them(data: Any, body: bytes):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.CREEM_WEBHOOK_SECRET", fake.CREEM_WEBHOOK_SECRET)
        signature = fake.creem_signature(body)
        assert signature_accepted(lambda: creem.read_notification(body, signature=signature))
        changed = data.draw(mutations(body))
        assume(changed != body)
        assert refused(lambda: creem.read_notification(changed, signature=signature))
        other = data.draw(mutations(signature.encode())).decode("latin-1")
        assume(other.strip() != signature)
        assert refused(lambda: creem.read_notification(body, signature=other))


@given(st.data(), st.binary(min_size=1, max_size=300))
def test_stripe_signatures_verify_and_any_change_breaks_them(data: Any, body: bytes):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.STRIPE_WEBHOOK_SECRET", fake.STRIPE_WEBHOOK_SECRET)
        signature = fake.stripe_signature(body)
        assert signature_accepted(lambda: stripe.read_notification(body, signature=signature))
        changed = data.draw(mutations(body))
        assume(changed != body and changed.strip() != body.strip())
        assert refused(lambda: stripe.read_notification(changed, signature=signature))


zpay_values = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="&="), min_size=1)


@given(st.data(), st.dictionaries(st.sampled_from("abcdefgh"), zpay_values, min_size=1))
def test_zpay_signatures_verify_and_any_change_breaks_them(data: Any, params: dict[str, str]):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.ZPAY_KEY", fake.ZPAY_KEY)
        signed = {**params, "sign": zpay.sign(params, key=fake.ZPAY_KEY), "sign_type": "MD5"}
        assert signature_accepted(lambda: zpay.read_notification(signed))
        name = data.draw(st.sampled_from(sorted(params)))
        value = data.draw(zpay_values)
        assume(value != params[name])
        assert refused(lambda: zpay.read_notification({**signed, name: value}))
        assert refused(
            lambda: zpay.read_notification({**signed, "sign": zpay.sign(params, key="guess")})
        )


def refused(read: Any) -> bool:
    try:
        read()
    except WebhookError:
        return True
    return False


def signature_accepted(read: Any) -> bool:
    """Whether the signature passed (the event may still be refused for its content)."""
    try:
        read()
    except WebhookError as error:
        return "signature" not in str(error)
    return True


moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
)
regimes = st.sampled_from(list(Regime))


@given(moments, st.integers(0, 400))
def test_business_days_land_on_a_weekday_after_exactly_that_many_weekdays(
    start: datetime, days: int
):
    end = add_business_days(start, days)
    counted = sum(
        (start + timedelta(days=n)).weekday() < 5 for n in range(1, (end - start).days + 1)
    )
    assert counted == days and end.time() == start.time()
    assert days == 0 or end.weekday() < 5


@given(moments, st.integers(0, 240))
def test_calendar_months_keep_the_day_or_take_the_months_last(start: datetime, months: int):
    end = add_calendar_months(start, months)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    last = calendar.monthrange(end.year, end.month)[1]
    assert end.day == min(start.day, last) and end.time() == start.time()


@given(regimes, moments, moments)
def test_a_later_request_never_has_an_earlier_deadline(
    regime: Regime, first: datetime, second: datetime
):
    early, late = sorted([first, second])
    for field in ("acknowledge_by", "respond_by", "confirm_by"):
        before = getattr(deadlines(regime, received_at=early), field)
        after = getattr(deadlines(regime, received_at=late), field)
        assert before is None or after >= before


@given(regimes, moments)
def test_deadlines_come_after_receipt_and_an_extension_only_adds_time(
    regime: Regime, received: datetime
):
    plain = deadlines(regime, received_at=received)
    assert plain.acknowledge_by == received + RULES[regime].acknowledge
    assert plain.respond_by > received
    if RULES[regime].extendable:
        assert deadlines(regime, received_at=received, extended=True).respond_by > plain.respond_by


@given(regimes, moments, st.lists(st.integers(1, 10**6), min_size=1, max_size=4))
def test_identity_pauses_push_the_response_back_by_their_length_where_allowed(
    regime: Regime, received: datetime, lengths: list[int]
):
    pauses, start = [], received
    for seconds in lengths:
        pauses.append(
            Pause(start=start + timedelta(seconds=1), end=start + timedelta(seconds=seconds + 1))
        )
        start += timedelta(seconds=seconds + 1)
    plain = deadlines(regime, received_at=received).respond_by
    paused = deadlines(regime, received_at=received, pauses=pauses).respond_by
    if not RULES[regime].pausable_for_identity:
        assert paused == plain
    else:
        assert plain <= paused <= plain + timedelta(seconds=sum(lengths))
