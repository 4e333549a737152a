"""DSAR deadlines: month ends, business days, extensions, identity pauses and status."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from privacy.deadlines import (
    RULES,
    Deadlines,
    Pause,
    Regime,
    Rules,
    add_business_days,
    add_calendar_months,
    can_extend,
    deadlines,
    status,
)

GDPR, UK_GDPR, CCPA, OTHER = Regime.GDPR, Regime.UK_GDPR, Regime.CCPA, Regime.OTHER


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, 999_999, tzinfo=UTC)


def test_every_regime_has_a_row_and_a_48_hour_acknowledgement() -> None:
    assert set(RULES) == set(Regime)
    assert {rules.acknowledge for rules in RULES.values()} == {timedelta(hours=48)}


def test_it_refuses_a_row_counted_in_both_months_and_days() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Rules(timedelta(hours=48), None, 1, 30, None, None, pausable_for_identity=False)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        pytest.param(at(2027, 1, 31), 1, at(2027, 2, 28), id="jan 31 + 1 month is feb 28 in 2027"),
        pytest.param(at(2028, 1, 31), 1, at(2028, 2, 29), id="jan 31 + 1 month is feb 29 in 2028"),
        pytest.param(at(2027, 3, 31), 1, at(2027, 4, 30), id="mar 31 + 1 month is apr 30"),
        pytest.param(at(2027, 12, 15), 1, at(2028, 1, 15), id="dec 15 + 1 month is jan 15"),
        pytest.param(at(2027, 2, 28), 1, at(2027, 3, 28), id="feb 28 does not jump to mar 31"),
        pytest.param(at(2027, 1, 31), 3, at(2027, 4, 30), id="jan 31 + 3 months is apr 30"),
        pytest.param(at(2028, 2, 29), 12, at(2029, 2, 28), id="feb 29 + a year is feb 28"),
        pytest.param(at(2100, 1, 31), 1, at(2100, 2, 28), id="2100 is not a leap year"),
        pytest.param(at(2000, 1, 31), 1, at(2000, 2, 29), id="2000 is a leap year"),
        pytest.param(at(2027, 1, 31, 14, 30), 1, at(2027, 2, 28, 14, 30), id="time of day is kept"),
        pytest.param(at(2027, 5, 9), 0, at(2027, 5, 9), id="zero months is the same moment"),
    ],
)
def test_it_adds_calendar_months(start: datetime, months: int, expected: datetime) -> None:
    assert add_calendar_months(start, months) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        pytest.param(at(2027, 1, 1), 10, at(2027, 1, 15), id="friday + 10 is friday fortnight"),
        pytest.param(at(2027, 1, 2), 10, at(2027, 1, 15), id="saturday counts from monday"),
        pytest.param(at(2027, 1, 3), 1, at(2027, 1, 4), id="sunday + 1 is monday"),
        pytest.param(at(2027, 1, 29), 1, at(2027, 2, 1), id="friday + 1 skips the weekend"),
        pytest.param(at(2027, 1, 4), 5, at(2027, 1, 11), id="monday + 5 is next monday"),
        pytest.param(at(2027, 1, 1, 9, 15), 1, at(2027, 1, 4, 9, 15), id="time of day is kept"),
        pytest.param(at(2027, 1, 2), 0, at(2027, 1, 2), id="zero days is the same moment"),
    ],
)
def test_it_adds_business_days(start: datetime, days: int, expected: datetime) -> None:
    assert add_business_days(start, days) == expected


@pytest.mark.parametrize(
    ("regime", "received_at", "extended", "expected"),
    [
        pytest.param(GDPR, at(2027, 1, 31, 10), False, end_of(2027, 2, 28), id="gdpr jan 31 2027"),
        pytest.param(GDPR, at(2028, 1, 31, 10), False, end_of(2028, 2, 29), id="gdpr leap year"),
        pytest.param(UK_GDPR, at(2027, 3, 31), False, end_of(2027, 4, 30), id="uk gdpr mar 31"),
        pytest.param(GDPR, at(2027, 12, 15), False, end_of(2028, 1, 15), id="gdpr over new year"),
        pytest.param(
            GDPR,
            at(2027, 12, 31, 23, 59),
            False,
            end_of(2028, 1, 31),
            id="gdpr a minute before midnight still counts that day",
        ),
        pytest.param(GDPR, at(2027, 1, 31), True, end_of(2027, 4, 30), id="gdpr extension apr 30"),
        pytest.param(UK_GDPR, at(2027, 12, 15), True, end_of(2028, 3, 15), id="uk extended"),
        pytest.param(CCPA, at(2027, 1, 1, 8), False, end_of(2027, 2, 15), id="ccpa 45 days"),
        pytest.param(CCPA, at(2027, 1, 1, 8), True, end_of(2027, 4, 1), id="ccpa 45 + 45 days"),
        pytest.param(OTHER, at(2027, 1, 1), False, end_of(2027, 1, 31), id="other 30 days"),
        pytest.param(OTHER, at(2028, 2, 1), False, end_of(2028, 3, 2), id="other over feb 29"),
    ],
)
def test_it_sets_the_response_deadline(
    regime: Regime, received_at: datetime, extended: bool, expected: datetime
) -> None:
    d = deadlines(regime, received_at=received_at, extended=extended)

    assert d.respond_by == expected
    assert d.extended is extended


def test_it_counts_days_in_utc_whatever_the_callers_time_zone() -> None:
    # 23:30 in New York on 31 January is already 1 February in UTC.
    new_york = timezone(timedelta(hours=-5))
    received_at = datetime(2027, 1, 31, 23, 30, tzinfo=new_york)

    assert deadlines(GDPR, received_at=received_at).respond_by == end_of(2027, 3, 1)


@pytest.mark.parametrize("regime", list(Regime))
def test_it_acknowledges_exactly_48_hours_after_receipt(regime: Regime) -> None:
    received_at = at(2027, 1, 1, 17, 42)

    assert deadlines(regime, received_at=received_at).acknowledge_by == at(2027, 1, 3, 17, 42)


@pytest.mark.parametrize(
    ("regime", "received_at", "expected"),
    [
        pytest.param(CCPA, at(2027, 1, 1, 9), end_of(2027, 1, 15), id="ccpa friday receipt"),
        pytest.param(CCPA, at(2027, 1, 2, 9), end_of(2027, 1, 15), id="ccpa saturday receipt"),
        pytest.param(GDPR, at(2027, 1, 1), None, id="gdpr has no confirmation"),
        pytest.param(UK_GDPR, at(2027, 1, 1), None, id="uk gdpr has no confirmation"),
        pytest.param(OTHER, at(2027, 1, 1), None, id="other has no confirmation"),
    ],
)
def test_it_confirms_ccpa_requests_within_10_business_days(
    regime: Regime, received_at: datetime, expected: datetime | None
) -> None:
    assert deadlines(regime, received_at=received_at).confirm_by == expected


@pytest.mark.parametrize(
    ("regime", "expected"),
    [
        pytest.param(GDPR, end_of(2027, 2, 28), id="gdpr within the first month"),
        pytest.param(CCPA, end_of(2027, 3, 17), id="ccpa within the first 45 days"),
        pytest.param(OTHER, None, id="other has nothing to announce"),
    ],
)
def test_the_extension_notice_is_due_by_the_original_deadline(
    regime: Regime, expected: datetime | None
) -> None:
    d = deadlines(regime, received_at=at(2027, 1, 31), extended=regime is not OTHER)

    assert d.extension_notice_by == expected


def test_it_refuses_an_extension_where_the_regime_allows_none() -> None:
    with pytest.raises(ValueError, match="no extension"):
        deadlines(OTHER, received_at=at(2027, 1, 1), extended=True)


@pytest.mark.parametrize(
    ("regime", "pauses", "when", "extended", "expected"),
    [
        pytest.param(GDPR, [], at(2027, 1, 10), False, True, id="gdpr early in the month"),
        pytest.param(GDPR, [], end_of(2027, 2, 28), False, True, id="gdpr at the last moment"),
        pytest.param(GDPR, [], at(2027, 3, 1), False, False, id="gdpr after the deadline"),
        pytest.param(GDPR, [], at(2027, 1, 10), True, False, id="gdpr already extended"),
        pytest.param(CCPA, [], at(2027, 3, 17, 12), False, True, id="ccpa on day 45"),
        pytest.param(CCPA, [], at(2027, 3, 18), False, False, id="ccpa on day 46"),
        pytest.param(OTHER, [], at(2027, 2, 1), False, False, id="other never extends"),
        pytest.param(
            GDPR,
            [Pause(at(2027, 2, 1), at(2027, 2, 11))],
            at(2027, 3, 5),
            False,
            True,
            id="gdpr after a closed pause of 10 days",
        ),
        pytest.param(
            UK_GDPR,
            [Pause(at(2027, 2, 1), None)],
            at(2027, 3, 20),
            False,
            True,
            id="uk gdpr while identity is still awaited",
        ),
    ],
)
def test_it_says_whether_an_extension_may_still_be_announced(
    regime: Regime, pauses: list[Pause], when: datetime, extended: bool, expected: bool
) -> None:
    received_at = at(2027, 1, 31)

    allowed = can_extend(regime, received_at=received_at, pauses=pauses, at=when, extended=extended)

    assert allowed is expected


@pytest.mark.parametrize(
    ("regime", "pauses", "now", "extended", "expected"),
    [
        pytest.param(
            GDPR,
            [Pause(at(2027, 1, 5), at(2027, 1, 10))],
            None,
            False,
            end_of(2027, 2, 1) + timedelta(days=5),
            id="a closed pause adds its length",
        ),
        pytest.param(
            UK_GDPR,
            [Pause(at(2027, 1, 5, 12), at(2027, 1, 7))],
            None,
            False,
            end_of(2027, 2, 1) + timedelta(hours=36),
            id="a pause adds its exact length without rounding to a day",
        ),
        pytest.param(
            GDPR,
            [Pause(at(2027, 1, 2), at(2027, 1, 4)), Pause(at(2027, 1, 10), at(2027, 1, 13))],
            None,
            False,
            end_of(2027, 2, 1) + timedelta(days=5),
            id="two pauses add up",
        ),
        pytest.param(
            GDPR,
            [Pause(at(2027, 1, 5), None)],
            at(2027, 1, 25),
            False,
            end_of(2027, 2, 1) + timedelta(days=20),
            id="an open pause counts up to now",
        ),
        pytest.param(
            GDPR,
            [Pause(at(2027, 2, 2), at(2027, 2, 20))],
            None,
            False,
            end_of(2027, 2, 1),
            id="a pause after the deadline cannot revive it",
        ),
        pytest.param(
            GDPR,
            [Pause(at(2027, 2, 2), at(2027, 2, 20))],
            None,
            True,
            end_of(2027, 4, 1) + timedelta(days=18),
            id="a pause in the extended period counts",
        ),
        pytest.param(
            CCPA,
            [Pause(at(2027, 1, 5), at(2027, 1, 25))],
            None,
            False,
            end_of(2027, 2, 15),
            id="ccpa ignores pauses",
        ),
        pytest.param(
            CCPA,
            [Pause(at(2027, 1, 5), None)],
            None,
            False,
            end_of(2027, 2, 15),
            id="ccpa ignores an open pause even without now",
        ),
        pytest.param(
            OTHER,
            [Pause(at(2027, 1, 5), at(2027, 1, 25))],
            None,
            False,
            end_of(2027, 1, 31),
            id="other ignores pauses",
        ),
    ],
)
def test_it_pushes_the_response_deadline_back_by_identity_pauses(
    regime: Regime,
    pauses: list[Pause],
    now: datetime | None,
    extended: bool,
    expected: datetime,
) -> None:
    d = deadlines(regime, received_at=at(2027, 1, 1), pauses=pauses, extended=extended, now=now)

    assert d.respond_by == expected


def test_pauses_do_not_move_the_acknowledgement_or_the_confirmation() -> None:
    pauses = [Pause(at(2027, 1, 1, 1), at(2027, 1, 20))]
    d = deadlines(CCPA, received_at=at(2027, 1, 1), pauses=pauses)

    assert (d.acknowledge_by, d.confirm_by) == (at(2027, 1, 3), end_of(2027, 1, 15))


@pytest.mark.parametrize(
    ("pauses", "now", "message"),
    [
        pytest.param([Pause(at(2027, 1, 5), None)], None, "needs `now`", id="open pause, no now"),
        pytest.param(
            [Pause(at(2027, 1, 5), None)], at(2027, 1, 4), "after `now`", id="open pause in future"
        ),
        pytest.param(
            [Pause(at(2026, 12, 30), at(2027, 1, 5))], None, "after receipt", id="before receipt"
        ),
        pytest.param(
            [Pause(at(2027, 1, 2), at(2027, 1, 6)), Pause(at(2027, 1, 5), at(2027, 1, 8))],
            None,
            "overlap",
            id="overlapping pauses",
        ),
    ],
)
def test_it_rejects_pauses_that_cannot_be_measured(
    pauses: list[Pause], now: datetime | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        deadlines(GDPR, received_at=at(2027, 1, 1), pauses=pauses, now=now)


def test_a_pause_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="end before"):
        Pause(at(2027, 1, 5), at(2027, 1, 4))


# Naive on purpose: every public function must refuse it.
NAIVE = datetime(2027, 1, 1, 12)
AWARE = at(2027, 1, 1, 12)
RECEIVED = deadlines(GDPR, received_at=AWARE)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: add_calendar_months(NAIVE, 1), id="add_calendar_months"),
        pytest.param(lambda: add_business_days(NAIVE, 1), id="add_business_days"),
        pytest.param(lambda: deadlines(GDPR, received_at=NAIVE), id="deadlines received_at"),
        pytest.param(lambda: deadlines(GDPR, received_at=AWARE, now=NAIVE), id="deadlines now"),
        pytest.param(lambda: Pause(NAIVE, None), id="pause start"),
        pytest.param(lambda: Pause(AWARE, NAIVE), id="pause end"),
        pytest.param(lambda: can_extend(GDPR, received_at=AWARE, at=NAIVE), id="can_extend at"),
        pytest.param(lambda: can_extend(OTHER, received_at=AWARE, at=NAIVE), id="even for other"),
        pytest.param(lambda: status(RECEIVED, now=NAIVE), id="status now"),
    ],
)
def test_it_rejects_naive_datetimes(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


DUE = end_of(2027, 2, 28)
D = Deadlines(
    acknowledge_by=at(2027, 2, 2),
    confirm_by=None,
    respond_by=DUE,
    extension_notice_by=DUE,
    extended=False,
)


@pytest.mark.parametrize(
    ("now", "due_soon", "expected"),
    [
        pytest.param(DUE + timedelta(microseconds=1), timedelta(days=7), "overdue", id="just past"),
        pytest.param(at(2027, 3, 10), timedelta(days=7), "overdue", id="days past"),
        pytest.param(DUE, timedelta(days=7), "due soon", id="the last moment is not overdue"),
        pytest.param(DUE - timedelta(days=7), timedelta(days=7), "due soon", id="exactly 7 days"),
        pytest.param(
            DUE - timedelta(days=7, microseconds=1), timedelta(days=7), "on time", id="just over 7"
        ),
        pytest.param(at(2027, 2, 1), timedelta(days=7), "on time", id="weeks ahead"),
        pytest.param(DUE - timedelta(days=1), timedelta(days=1), "due soon", id="custom window"),
        pytest.param(DUE - timedelta(days=2), timedelta(days=1), "on time", id="outside custom"),
    ],
)
def test_it_reports_the_status_of_the_response_deadline(
    now: datetime, due_soon: timedelta, expected: str
) -> None:
    assert status(D, now=now, due_soon=due_soon) == expected
