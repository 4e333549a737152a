"""What the console shows of a wallet's past: its ledger per day and its payments as CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import date
from io import StringIO
from typing import Any, TypedDict

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import LedgerEntry, TopUpOrder
from billing.money import format_amount


class DayTotal(TypedDict):
    day: date
    kind: str
    total: int
    entries: int


def daily_activity(*, user_id: int) -> QuerySet[Any, DayTotal]:
    """The user's ledger summed per day (in the active time zone) and kind, newest day first.

    A busy API key charges thousands of times a day; one row per day and kind keeps the
    history readable, and every top-up, refund and redemption still shows on its day.
    """
    day = TruncDate("created_at", tzinfo=timezone.get_current_timezone())
    return (
        LedgerEntry.objects.filter(wallet_id=user_id)
        .annotate(day=day)
        .values("day", "kind")
        .annotate(total=Sum("amount"), entries=Count("id"))
        .order_by("-day", "kind")
    )


def payments_csv(orders: Iterable[TopUpOrder]) -> str:
    """The orders as CSV, one row each, with times in the active time zone."""
    out = StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Date"),
            _("Order"),
            _("Paid with"),
            _("Status"),
            _("Credit"),
            _("Amount charged"),
            _("Currency"),
            _("Exchange rate"),
            _("Invoice"),
        ]
    )
    for order in orders:
        invoice = getattr(order, "invoice", None)
        writer.writerow(
            [
                timezone.localtime(order.created_at).isoformat(timespec="seconds"),
                order.pk,
                order.get_provider_display(),
                order.get_status_display(),
                format_amount(order.credit_amount),
                order.charged_amount,
                order.currency,
                order.exchange_rate.normalize(),
                invoice.number if invoice else "",
            ]
        )
    return out.getvalue()
