"""Prometheus `/metrics`, answered beside Django like the probes, for a scraper only.

Access needs `Authorization: Bearer $METRICS_TOKEN` or a client address in
METRICS_ALLOWED_NETWORKS; with neither configured the endpoint does not exist (404), and a
client that is neither gets 403. Per-request counters come from gateway/metrics.py (summed
over workers in multiprocess mode); the gauges below are read from PostgreSQL and the broker
when Prometheus scrapes, never counted per request.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import timedelta
from typing import Any

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

import gateway.metrics  # noqa: F401 - defines the per-request metrics in this process
from billing.models import Hold
from privacy import dsar
from privacy.models import DataSubjectRequest, RetentionRun

Send = Callable[[Mapping[str, Any]], Awaitable[None]]

DUE_SOON = timedelta(days=7)
# The queues Celery workers consume (the default one unless routes say otherwise).
CELERY_QUEUES = ("celery",)


class DatabaseCollector(Collector):
    """Gauges computed from the database and broker at scrape time."""

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # registering must not query the database (at import time)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        holds = Hold.objects.filter(status=Hold.Status.OPEN).aggregate(
            count=Count("id"), amount=Sum("amount")
        )
        yield GaugeMetricFamily(
            "tokengate_holds_outstanding", "Open holds (requests in flight).", holds["count"]
        )
        yield GaugeMetricFamily(
            "tokengate_holds_outstanding_nanos",
            "Money reserved by open holds, in nano-units of the platform currency.",
            holds["amount"] or 0,
        )
        yield from self.dsar_deadlines()
        yield from self.retention()
        yield from self.queue_depth()

    def dsar_deadlines(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        answered = (
            DataSubjectRequest.Status.FULFILLED,
            DataSubjectRequest.Status.DENIED,
            DataSubjectRequest.Status.CLOSED,
        )
        due = [
            dsar.deadlines_of(request).respond_by
            for request in DataSubjectRequest.objects.exclude(status__in=answered)
        ]
        yield GaugeMetricFamily(
            "tokengate_dsar_overdue",
            "Open privacy requests past their response deadline.",
            sum(1 for respond_by in due if respond_by < now),
        )
        yield GaugeMetricFamily(
            "tokengate_dsar_due_soon",
            "Open privacy requests due within 7 days.",
            sum(1 for respond_by in due if now <= respond_by < now + DUE_SOON),
        )

    def retention(self) -> Iterator[GaugeMetricFamily]:
        run = RetentionRun.objects.filter(finished_at__isnull=False).first()
        purged = GaugeMetricFamily(
            "tokengate_retention_purged",
            "Rows removed by the last finished retention run, per policy.",
            labels=["policy"],
        )
        finished = GaugeMetricFamily(
            "tokengate_retention_last_run_timestamp_seconds",
            "When the last retention run finished (Unix time).",
        )
        if run is not None and run.finished_at is not None:
            for policy, count in sorted(run.counts.items()):
                purged.add_metric([policy], count)
            finished.add_metric([], run.finished_at.timestamp())
        yield purged
        yield finished

    def queue_depth(self) -> Iterator[GaugeMetricFamily]:
        url = settings.CELERY_BROKER_URL
        if not url.startswith(("redis://", "rediss://")):
            return
        depth = GaugeMetricFamily(
            "tokengate_celery_queue_length", "Tasks waiting in the broker.", labels=["queue"]
        )
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            for queue in CELERY_QUEUES:
                depth.add_metric([queue], client.llen(queue))
        except redis.RedisError:
            return  # /readyz reports the broker; a scrape still returns the rest
        finally:
            client.close()
        yield depth


def scrape_registry() -> CollectorRegistry:
    """Multiprocess: every worker's files. Otherwise: this process's default registry."""
    if settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    registry.register(DatabaseCollector())
    return registry


registry = scrape_registry()


def allowed(scope: dict[str, Any]) -> int:
    """200 when this client may scrape, else the status to answer."""
    token = settings.METRICS_TOKEN
    networks = settings.METRICS_ALLOWED_NETWORKS
    if not token and not networks:
        return 404
    for name, value in scope["headers"]:
        if name.lower() != b"authorization":
            continue
        scheme, _space, presented = value.decode("latin-1").partition(" ")
        if token and scheme.lower() == "bearer" and hmac.compare_digest(presented, token):
            return 200
    client = scope.get("client")
    if client and networks:
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:
            return 403
        if any(address in ipaddress.ip_network(network) for network in networks):
            return 200
    return 403


async def application(scope: dict[str, Any], receive: Any, send: Send) -> None:
    status = allowed(scope)
    if status == 200:
        body = await sync_to_async(generate_latest)(registry)
        content_type = CONTENT_TYPE_LATEST.encode()
    else:
        body, content_type = b"", b"text/plain"
    headers = [(b"content-type", content_type), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
