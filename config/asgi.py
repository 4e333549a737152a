"""ASGI entry point: `/v1/…` to the gateway's lean handler, probes to config.health, the rest
to Django."""

from __future__ import annotations

import os

from asgiref.sync import sync_to_async
from django.core.asgi import get_asgi_application
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

# Imported after Django is set up: the gateway uses models and settings.
from config.health import application as health_application  # noqa: E402
from gateway import upstream  # noqa: E402
from gateway.asgi import Receive, Scope, Send  # noqa: E402
from gateway.asgi import application as gateway_application  # noqa: E402

PROBES = {"/healthz", "/readyz"}


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
        await gateway_application(scope, receive, send)
    elif scope["type"] == "http" and scope["path"] in PROBES:
        await health_application(scope, receive, send)
    else:
        await django_application(scope, receive, send)
