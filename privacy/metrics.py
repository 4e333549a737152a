"""The CCPA's yearly request metrics (11 CCR § 7102(a)), from the requests and their events.

Per request type: how many were received, complied with in whole or in part, and denied, and
the median and mean number of calendar days to a substantive response (fulfilment or denial).
Counted over CCPA requests received in the calendar year (UTC).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Min, Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from privacy.models import DataSubjectRequest, DsarEvent

Kind = DataSubjectRequest.Kind
# § 7102's request types and the request kinds that are one of them.
REQUEST_TYPES: dict[str, tuple[Promise, tuple[str, ...]]] = {
    "know": (_("requests to know"), (Kind.ACCESS, Kind.PORTABILITY)),
    "delete": (_("requests to delete"), (Kind.ERASURE,)),
    "correct": (_("requests to correct"), (Kind.RECTIFICATION,)),
    "opt_out": (_("requests to opt out of sale or sharing"), (Kind.OPT_OUT_SALE,)),
    "limit": (_("requests to limit use of sensitive information"), (Kind.LIMIT_SENSITIVE,)),
}
ANSWERS = (DsarEvent.Kind.FULFILLED, DsarEvent.Kind.DENIED)


@dataclass(frozen=True)
class Row:
    request_type: str
    label: Promise
    received: int
    complied: int
    denied: int
    median_days: float | None
    mean_days: float | None


def ccpa_metrics(year: int) -> list[Row]:
    received = (
        # The calendar year in UTC, whatever time zone the reader has activated.
        DataSubjectRequest.objects.filter(
            regime=DataSubjectRequest.Regime.CCPA,
            received_at__gte=datetime(year, 1, 1, tzinfo=UTC),
            received_at__lt=datetime(year + 1, 1, 1, tzinfo=UTC),
        )
        .annotate(
            answered_at=Min("events__created_at", filter=Q(events__kind__in=ANSWERS)),
            complied=Min("events__id", filter=Q(events__kind=DsarEvent.Kind.FULFILLED)),
            denied=Min("events__id", filter=Q(events__kind=DsarEvent.Kind.DENIED)),
        )
        .values("kind", "received_at", "answered_at", "complied", "denied")
    )
    return [
        row_of(key, label, [dict(dsr) for dsr in received if dsr["kind"] in kinds])
        for key, (label, kinds) in REQUEST_TYPES.items()
    ]


def row_of(key: str, label: Promise, requests: list[dict[str, Any]]) -> Row:
    days = [
        (dsr["answered_at"].astimezone(UTC).date() - dsr["received_at"].astimezone(UTC).date()).days
        for dsr in requests
        if dsr["answered_at"] is not None
    ]
    return Row(
        request_type=key,
        label=label,
        received=len(requests),
        complied=sum(1 for dsr in requests if dsr["complied"] is not None),
        denied=sum(1 for dsr in requests if dsr["denied"] is not None),
        median_days=round(float(statistics.median(days)), 1) if days else None,
        mean_days=round(float(statistics.mean(days)), 1) if days else None,
    )
