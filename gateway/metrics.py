"""The gateway's Prometheus metrics, counted where requests finish and upstreams fail.

With PROMETHEUS_MULTIPROC_DIR set (before this module is imported) prometheus_client keeps
these values in files there, so every worker's counts add up at scrape time
(config/metrics.py). Labels stay bounded: model names only once the gateway has read a
request, and an unknown model (404) is counted without its name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram

from config import logs

if TYPE_CHECKING:
    from gateway.models import Channel

REQUESTS = Counter(
    "tokengate_gateway_requests", "Gateway (/v1) requests answered.", ["model", "status"]
)
LATENCY = Histogram(
    "tokengate_gateway_request_seconds",
    "Time to answer a gateway request, to its last byte.",
    ["model", "status"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
UPSTREAM_ERRORS = Counter(
    "tokengate_upstream_errors",
    "Upstream failures (connect error, timeout, 429, 5xx), by channel.",
    ["channel", "reason"],
)
COOLDOWNS = Counter(
    "tokengate_channel_cooldowns", "Times a channel was put in cooldown.", ["channel"]
)


def note_model(model: str) -> None:
    """Called by the gateway once it knows which model a request is for."""
    info = logs.current_request.get()
    if info is not None:
        info.model = model


def request_finished(model: str, status: int, seconds: float) -> None:
    labels = {"model": "" if status == 404 else model, "status": str(status)}
    REQUESTS.labels(**labels).inc()
    LATENCY.labels(**labels).observe(seconds)


def upstream_failed(channel: Channel, reason: str) -> None:
    """Called by the gateway when a channel failed and goes into cooldown."""
    UPSTREAM_ERRORS.labels(channel=channel.name, reason=reason).inc()
    COOLDOWNS.labels(channel=channel.name).inc()
