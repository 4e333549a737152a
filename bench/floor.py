"""The benchmark's floor: a bare async Django passthrough, no auth, limits or billing.

    uvicorn bench.floor:application   (BENCH_UPSTREAM is the upstream's base URL)

It forwards /v1/chat/completions to the upstream with the gateway's HTTP client (aiohttp,
the same pool settings) through Django's own ASGI handler, and streams responses through
unchanged: what any Django proxy pays before doing anything useful.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import aiohttp
import django
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

UPSTREAM = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:9100/v1")

sessions: dict[int, aiohttp.ClientSession] = {}


def session() -> aiohttp.ClientSession:
    # Created on first use, inside the server's event loop (as the gateway does).
    if not sessions:
        connector = aiohttp.TCPConnector(limit=1000, limit_per_host=0, keepalive_timeout=30)
        sessions[0] = aiohttp.ClientSession(
            connector=connector, skip_auto_headers=("User-Agent", "Accept-Encoding")
        )
    return sessions[0]


@csrf_exempt
async def chat_completions(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    response = await session().post(
        f"{UPSTREAM}/chat/completions",
        data=request.body,
        headers={"Content-Type": "application/json", "Authorization": "Bearer sk-upstream"},
        allow_redirects=False,
    )
    if response.content_type == "text/event-stream":

        async def relay() -> AsyncIterator[bytes]:
            try:
                async for chunk in response.content.iter_any():
                    yield chunk
            finally:
                response.close()

        return StreamingHttpResponse(relay(), content_type="text/event-stream")
    body = await response.read()
    response.close()
    return HttpResponse(body, status=response.status, content_type="application/json")


urlpatterns = [path("v1/chat/completions", chat_completions)]

# BENCH_FLOOR=django-defaults adds what `django-admin startproject` turns on (its apps and
# middleware), the floor most Django proxies actually stand on; the default is bare Django.
DEFAULTS = os.environ.get("BENCH_FLOOR") == "django-defaults"
settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-floor-only",  # noqa: S106 - a local benchmark process
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
    ]
    if DEFAULTS
    else [],
    MIDDLEWARE=[
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]
    if DEFAULTS
    else [],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    if DEFAULTS
    else {},
)
django.setup()
application = get_asgi_application()
