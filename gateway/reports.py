"""What the console shows of a user's own usage: totals, the 30-day chart, filtered logs and
their CSV. Days and months are those of the time zone active for the request (the user's)."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import formats, timezone

from accounts.models import ApiToken, User
from billing.models import Wallet
from billing.money import format_amount
from gateway.models import UsageLog

CHART_DAYS = 30
# Spreadsheets run cells starting with these as formulas; a quote makes them plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Summary:
    balance: int
    spent_this_month: int
    requests_today: int
    keys: int


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def summarize(user: User) -> Summary:
    today = timezone.localdate()
    logs = UsageLog.objects.filter(user=user)
    this_month = logs.filter(created_at__gte=start_of_day(today.replace(day=1)))
    wallet = Wallet.objects.filter(pk=user.pk).first()
    return Summary(
        balance=wallet.balance if wallet else 0,
        spent_this_month=this_month.aggregate(total=Sum("cost"))["total"] or 0,
        requests_today=logs.filter(created_at__gte=start_of_day(today)).count(),
        keys=ApiToken.objects.keys().filter(user=user).count(),
    )


@dataclass(frozen=True)
class DayOfModel:
    day: date
    model: str
    requests: int
    spent: int


def daily_usage(user: User) -> list[DayOfModel]:
    """Requests and spend per day and model over the last CHART_DAYS days, today included."""
    first_day = timezone.localdate() - timedelta(days=CHART_DAYS - 1)
    rows = (
        UsageLog.objects.filter(user=user, created_at__gte=start_of_day(first_day))
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "model")
        .annotate(requests=Count("id"), spent=Sum("cost"))
        .order_by("day", "model")
    )
    return [DayOfModel(**row) for row in rows]


def chart_data(usage: list[DayOfModel]) -> dict[str, Any]:
    """Chart.js data: one stacked bar a day, one dataset of requests per model."""
    days = [
        timezone.localdate() - timedelta(days=offset) for offset in range(CHART_DAYS - 1, -1, -1)
    ]
    counts = {(row.day, row.model): row.requests for row in usage}
    models = sorted({row.model for row in usage})
    return {
        "labels": [formats.date_format(day, "MONTH_DAY_FORMAT") for day in days],
        "datasets": [
            {"label": model, "data": [counts.get((day, model), 0) for day in days]}
            for model in models
        ],
    }


def filter_usage(
    user: User,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    model: str = "",
    api_token: ApiToken | None = None,
) -> QuerySet[UsageLog]:
    """The user's own logs, newest first, between two days (both included) of their zone."""
    logs = UsageLog.objects.filter(user=user).select_related("api_token")
    if date_from:
        logs = logs.filter(created_at__gte=start_of_day(date_from))
    if date_to:
        logs = logs.filter(created_at__lt=start_of_day(date_to + timedelta(days=1)))
    if model:
        logs = logs.filter(model=model)
    if api_token:
        logs = logs.filter(api_token=api_token)
    return logs


class Echo:
    """A file-like object that hands back what csv.writer writes, for streaming."""

    def write(self, value: str) -> str:
        return value


def plain_cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


async def usage_csv_rows(
    logs: QuerySet[UsageLog], *, currency: str, zone: tzinfo
) -> AsyncIterator[str]:
    """The rows of a CSV file; `zone` is explicit because the response is streamed after
    the request's time zone is deactivated. Asynchronous, because Django's ASGI handler
    reads a synchronous iterator whole into memory before sending any of it."""
    # Column names stay the same in every language, so scripts can read the file.
    writer = csv.writer(Echo())
    yield writer.writerow(
        [
            "time",
            "key",
            "model",
            "status",
            "prompt_tokens",
            "completion_tokens",
            f"cost_{currency}",
        ]
    )
    async for log in logs.aiterator(chunk_size=2000):
        yield writer.writerow(
            [
                log.created_at.astimezone(zone).isoformat(),
                plain_cell(log.api_token.name if log.api_token else ""),
                plain_cell(log.model),
                log.status_code,
                log.input_tokens,
                log.output_tokens,
                format_amount(log.cost),
            ]
        )
