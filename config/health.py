"""Liveness and readiness probes, answered beside Django like the /v1 API.

`/healthz` says the process is alive. `/readyz` says whether this worker can serve: the
database, Redis (when configured) and the Celery broker answer. Neither touches sessions,
CSRF or HTTPS redirects, so load balancers and orchestrators can call them as they are.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

Send = Callable[[Mapping[str, Any]], Awaitable[None]]


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        # Drop the broken connection, so the next probe reconnects once the database is back.
        connection.close()
        return False


async def redis_answers(url: str) -> bool:
    client = aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(await client.ping())
    except (aioredis.RedisError, OSError):
        return False
    finally:
        await client.aclose()


async def broker_answers() -> bool:
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        return await redis_answers(url)
    if url == "filesystem://":
        return Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]).is_dir()
    return True  # Other brokers are checked by Celery's own monitoring.


async def readiness() -> dict[str, str]:
    checks = {"database": await sync_to_async(database_answers)()}
    if settings.REDIS_URL:
        checks["redis"] = await redis_answers(settings.REDIS_URL)
    checks["broker"] = await broker_answers()
    return {name: "ok" if answered else "unavailable" for name, answered in checks.items()}


async def application(scope: dict[str, Any], receive: Any, send: Send) -> None:
    if scope["path"] == "/healthz":
        status, body = 200, {"status": "ok"}
    else:
        body = await readiness()
        status = 200 if all(state == "ok" for state in body.values()) else 503
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
