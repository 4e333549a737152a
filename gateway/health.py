"""The Operator's view of the gateway: channels and the last hour of traffic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Q
from django.utils import timezone

from gateway.models import Channel, UsageLog


@dataclass(frozen=True)
class Traffic:
    channels_enabled: int
    channels_total: int
    requests: int
    server_errors: int
    mean_latency_ms: int | None


def last_hour(*, now: datetime | None = None) -> Traffic:
    since = (now or timezone.now()) - timedelta(hours=1)
    usage = UsageLog.objects.filter(created_at__gte=since).aggregate(
        requests=Count("pk"),
        server_errors=Count("pk", filter=Q(status_code__gte=500)),
        latency=Avg("latency_ms"),
    )
    return Traffic(
        channels_enabled=Channel.objects.filter(enabled=True).count(),
        channels_total=Channel.objects.count(),
        requests=usage["requests"],
        server_errors=usage["server_errors"],
        mean_latency_ms=None if usage["latency"] is None else round(usage["latency"]),
    )
