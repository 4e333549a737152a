"""ASGI entry point: `/v1/…` to the gateway's lean handler, probes to config.health,
`/metrics` to config.metrics, the rest to Django."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from asgiref.sync import sync_to_async
from django.core.asgi import get_asgi_application
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

# Imported after Django is set up: the gateway uses models and settings.
from config import logs  # noqa: E402
from config.health import application as health_application  # noqa: E402
from config.metrics import application as metrics_application  # noqa: E402
from gateway import upstream  # noqa: E402
from gateway.asgi import Receive, Scope, Send  # noqa: E402
from gateway.asgi import application as gateway_application  # noqa: E402
from gateway.metrics import request_finished  # noqa: E402

PROBES = {"/healthz", "/readyz"}


async def observe_gateway(scope: Scope, receive: Receive, send: Send) -> None:
    """One /v1 request: its request id (X-Request-Id, and in log lines) and its metrics."""
    info = logs.start_request()
    started, status = time.monotonic(), 500

    async def send_with_id(message: Mapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
            if not any(name.lower() == b"x-request-id" for name, _value in headers):
                headers.append((b"x-request-id", info.request_id.encode()))
            message = {**message, "headers": headers}
        await send(message)

    try:
        await gateway_application(scope, receive, send_with_id)
    finally:
        # Metrics only: the usage log is the record of each request (no access log line here).
        request_finished(info.model, status, time.monotonic() - started)


async def serve_lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            # The gateway's database work runs in Django's sync thread: close its connection.
            await sync_to_async(connections.close_all)()
            await upstream.close_session()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await serve_lifespan(receive, send)
    elif scope["type"] == "http" and (scope["path"] == "/v1" or scope["path"].startswith("/v1/")):
        await observe_gateway(scope, receive, send)
    elif scope["type"] == "http" and scope["path"] in PROBES:
        await health_application(scope, receive, send)
    elif scope["type"] == "http" and scope["path"] == "/metrics":
        await metrics_application(scope, receive, send)
    else:
        await django_application(scope, receive, send)
