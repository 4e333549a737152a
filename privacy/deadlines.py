"""Deadlines for data subject requests (DSARs), driven by one table of rules per regime.

Every time here is a timezone-aware datetime and every calendar day is a UTC day; naive datetimes
are rejected with ValueError, because a deadline without a time zone cannot be trusted.

Which days count:

- A period in months ends on the same-numbered day N months after the day of receipt, or on the
  last day of that month when it has no such day (31 January + 1 month = 28 or 29 February). This
  is the "corresponding calendar date" reading of GDPR Art. 12(3) given by the ICO and the EDPB.
  Regulation 1182/71 Art. 3 (the day of receipt is not counted; the period ends with the last hour
  of the same-numbered day) lands on the same date.
- A period in days or business days leaves out the day of receipt and includes its last day
  (Cal. Civ. Code § 10), so a CCPA request received on 1 January is due on 15 February.
- Every period ends at the very end of its last UTC day (23:59:59.999999), whatever the time of
  day the request arrived. The 48-hour acknowledgement is the exception: it is exact.
- An extension is counted from the original day of receipt, not from the first deadline, so
  31 January + 1 month + 2 months is 30 April (the ICO: "three months from the original start
  date"), not 28 April.
- Weekends and public holidays never move a deadline later, although the ICO and Cal. Civ. Code
  § 10 allow rolling to the next working day: answering a day early is always lawful.

Pauses while we wait for identity information (`Pause`) stop the response clock only where the
regime allows it (see `RULES`). A pause adds its exact length to the response deadline; a pause
that begins after the clock has already run out is ignored, because it cannot revive a missed
deadline. The acknowledgement and the CCPA confirmation never pause.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal

Status = Literal["overdue", "due soon", "on time"]


class Regime(StrEnum):
    GDPR = "gdpr"
    UK_GDPR = "uk_gdpr"
    CCPA = "ccpa"
    OTHER = "other"


@dataclass(frozen=True)
class Rules:
    """The time limits of one regime; each row of `RULES` names its legal source."""

    acknowledge: timedelta
    confirm_business_days: int | None
    respond_months: int | None
    respond_days: int | None
    extension_months: int | None
    extension_days: int | None
    pausable_for_identity: bool

    def __post_init__(self) -> None:
        # A period is counted in months or in days, never both, and an extension in the same unit.
        if (self.respond_months is None) == (self.respond_days is None):
            raise ValueError("Set exactly one of respond_months and respond_days.")
        if (self.respond_months is None and self.extension_months is not None) or (
            self.respond_days is None and self.extension_days is not None
        ):
            raise ValueError("An extension must be counted in the same unit as its period.")

    @property
    def extendable(self) -> bool:
        """Whether the response period may be extended once (GDPR Art. 12(3); 11 CCR § 7021(b))."""
        return self.extension_months is not None or self.extension_days is not None


# Privacy policy, section X: "We will acknowledge your inquiry within 48 hours".
ACKNOWLEDGE = timedelta(hours=48)

RULES: dict[Regime, Rules] = {
    # GDPR Art. 12(3): one month from receipt, extendable once by two further months with reasons
    # given within the first month. The clock stops while we wait for identity information that
    # Art. 12(6) lets us ask for (the Berlin DPA's reading in an Art. 60 case, with the EDPB's
    # Guidelines 01/2022 on the right of access, section 5.3 on timing).
    Regime.GDPR: Rules(
        acknowledge=ACKNOWLEDGE,
        confirm_business_days=None,
        respond_months=1,
        respond_days=None,
        extension_months=2,
        extension_days=None,
        pausable_for_identity=True,
    ),
    # UK GDPR Art. 12(3) has the same wording. The ICO counts the month from receipt of the
    # identity information, and the Data (Use and Access) Act 2025 writes that "stop the clock"
    # into the law; a pause is the cautious version of that (never a later deadline).
    Regime.UK_GDPR: Rules(
        acknowledge=ACKNOWLEDGE,
        confirm_business_days=None,
        respond_months=1,
        respond_days=None,
        extension_months=2,
        extension_days=None,
        pausable_for_identity=True,
    ),
    # CCPA: confirm receipt within 10 business days (11 CCR § 7021(a)); respond within 45 calendar
    # days (Cal. Civ. Code § 1798.130(a)(2)), extendable once by 45 days with notice. 11 CCR
    # § 7021(b): the 45 days begin on receipt "regardless of time required to verify the request",
    # so the clock never pauses for verification (§ 7060 sets how to verify, not when).
    Regime.CCPA: Rules(
        acknowledge=ACKNOWLEDGE,
        confirm_business_days=10,
        respond_months=None,
        respond_days=45,
        extension_months=None,
        extension_days=45,
        pausable_for_identity=False,
    ),
    # Everyone else: the privacy policy's own promise (section X), "respond substantively within
    # 30 days". It offers no extension and no pause, so none is taken.
    Regime.OTHER: Rules(
        acknowledge=ACKNOWLEDGE,
        confirm_business_days=None,
        respond_months=None,
        respond_days=30,
        extension_months=None,
        extension_days=None,
        pausable_for_identity=False,
    ),
}


def _utc(value: datetime, name: str) -> datetime:
    """Return `value` in UTC, refusing naive datetimes (all deadlines are UTC, see the module)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, not naive {value!r}.")
    return value.astimezone(UTC)


def _end_of_day(value: datetime) -> datetime:
    """Return the last microsecond of `value`'s UTC day, where every period ends (module docs)."""
    return value.replace(hour=23, minute=59, second=59, microsecond=999_999)


def add_calendar_months(start: datetime, months: int) -> datetime:
    """Return the same day number `months` later, or that month's last day (GDPR Art. 12(3), ICO).

    31 January + 1 month is 28 February (29 in a leap year); the UTC time of day is kept.
    """
    start = _utc(start, "start")
    if months < 0:
        raise ValueError("months must not be negative.")
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def add_business_days(start: datetime, days: int) -> datetime:
    """Return the moment `days` business days after `start` (11 CCR § 7021(a) counts them).

    Business days are Monday to Friday. There is no holiday calendar: a public holiday counts as
    a business day, so the result can only be earlier than the legal one, never later. The day of
    `start` is not counted (a Saturday request counts from Monday); the UTC time of day is kept.
    """
    current = _utc(start, "start")
    if days < 0:
        raise ValueError("days must not be negative.")
    while days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


@dataclass(frozen=True)
class Pause:
    """Time spent awaiting identity information (GDPR Art. 12(6)); `end=None` means still open."""

    start: datetime
    end: datetime | None

    def __post_init__(self) -> None:
        start = _utc(self.start, "Pause.start")
        if self.end is not None and _utc(self.end, "Pause.end") < start:
            raise ValueError("A pause cannot end before it starts.")


@dataclass(frozen=True)
class Deadlines:
    """Every deadline of one request; the last moment each may be met, inclusive."""

    acknowledge_by: datetime
    confirm_by: datetime | None
    respond_by: datetime
    extension_notice_by: datetime | None
    extended: bool


def _pause_end(pause: Pause, now: datetime | None) -> datetime:
    """Return when `pause` ended, or `now` for a pause that is still open."""
    if pause.end is not None:
        return _utc(pause.end, "Pause.end")
    if now is None:
        raise ValueError("An open pause needs `now` to measure how long it has lasted.")
    if now < pause.start:
        raise ValueError("An open pause cannot start after `now`.")
    return now


def _push_back(
    deadline: datetime, pauses: Sequence[Pause], *, received_at: datetime, now: datetime | None
) -> datetime:
    """Move `deadline` later by each pause that began while the clock was still running."""
    clock_restarted = received_at
    for pause in sorted(pauses, key=lambda p: p.start):
        start = _utc(pause.start, "Pause.start")
        if start < clock_restarted:
            raise ValueError("Pauses must start after receipt and must not overlap.")
        # A pause that begins after the deadline cannot revive a deadline already missed.
        if start > deadline:
            break
        clock_restarted = _pause_end(pause, now)
        deadline += clock_restarted - start
    return deadline


def _period_end(rules: Rules, received_at: datetime, *, extended: bool) -> datetime:
    """Return the end of the period's last day, counted from the day of receipt (see the module)."""
    if rules.respond_months is not None:
        months = rules.respond_months + ((rules.extension_months or 0) if extended else 0)
        return _end_of_day(add_calendar_months(received_at, months))
    assert rules.respond_days is not None  # Rules.__post_init__ guarantees one unit is set.
    days = rules.respond_days + ((rules.extension_days or 0) if extended else 0)
    return _end_of_day(received_at + timedelta(days=days))


def _respond_by(
    rules: Rules,
    received_at: datetime,
    pauses: Sequence[Pause],
    now: datetime | None,
    *,
    extended: bool,
) -> datetime:
    """Return the response deadline, pushed back by the pauses where the regime allows them."""
    period_end = _period_end(rules, received_at, extended=extended)
    if not rules.pausable_for_identity:
        return period_end
    return _push_back(period_end, pauses, received_at=received_at, now=now)


def _confirm_by(rules: Rules, received_at: datetime) -> datetime | None:
    """Return the end of the day receipt must be confirmed by (11 CCR § 7021(a)), if required."""
    if rules.confirm_business_days is None:
        return None
    return _end_of_day(add_business_days(received_at, rules.confirm_business_days))


def deadlines(
    regime: Regime,
    *,
    received_at: datetime,
    pauses: Sequence[Pause] = (),
    extended: bool = False,
    now: datetime | None = None,
) -> Deadlines:
    """Compute every deadline of a request under `regime`'s row of `RULES` (sources there).

    An open pause counts up to `now`, which is then required. `extended=True` adds the regime's
    one extension to the response deadline, and raises ValueError where there is none.
    """
    rules = RULES[regime]
    received_at = _utc(received_at, "received_at")
    now = None if now is None else _utc(now, "now")
    if extended and not rules.extendable:
        raise ValueError(f"The {regime} regime allows no extension of the response period.")
    original = _respond_by(rules, received_at, pauses, now, extended=False)
    return Deadlines(
        acknowledge_by=received_at + rules.acknowledge,
        confirm_by=_confirm_by(rules, received_at),
        respond_by=_respond_by(rules, received_at, pauses, now, extended=extended),
        extension_notice_by=original if rules.extendable else None,
        extended=extended,
    )


def can_extend(
    regime: Regime,
    *,
    received_at: datetime,
    pauses: Sequence[Pause] = (),
    at: datetime,
    extended: bool = False,
) -> bool:
    """Say whether an extension may be announced at `at` (GDPR Art. 12(3); 11 CCR § 7021(b)).

    Only once, and only up to the original response deadline; an open pause counts up to `at`.
    """
    at = _utc(at, "at")
    if extended or not RULES[regime].extendable:
        return False
    original = deadlines(regime, received_at=received_at, pauses=pauses, now=at)
    return at <= original.respond_by


def status(d: Deadlines, *, now: datetime, due_soon: timedelta = timedelta(days=7)) -> Status:
    """Classify the response deadline at `now`, the one GDPR Art. 12(3) and the CCPA enforce.

    "overdue" once `now` is past `respond_by`; "due soon" from `due_soon` before it up to and
    including `respond_by` itself; "on time" before that.
    """
    now = _utc(now, "now")
    if now > d.respond_by:
        return "overdue"
    if d.respond_by - now <= due_soon:
        return "due soon"
    return "on time"
