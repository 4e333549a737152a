"""The benchmark's floor: a bare async Django passthrough, no auth, limits or billing.

    uvicorn bench.floor:application   (BENCH_UPSTREAM is the upstream's base URL)

It forwards /v1/chat/completions to the upstream with the gateway's HTTP client (httpx, the
same pool limits) through Django's own ASGI handler, and streams responses through
unchanged: what any Django proxy pays before doing anything useful.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import django
import httpx
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

UPSTREAM = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:9100/v1")

client = httpx.AsyncClient(
    follow_redirects=False,
    limits=httpx.Limits(max_connections=1000, max_keepalive_connections=200),
)


@csrf_exempt
async def chat_completions(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    upstream = client.build_request(
        "POST",
        f"{UPSTREAM}/chat/completions",
        content=request.body,
        headers={"content-type": "application/json", "authorization": "Bearer sk-upstream"},
    )
    response = await client.send(upstream, stream=True)
    if response.headers.get("content-type", "").startswith("text/event-stream"):

        async def relay() -> AsyncIterator[bytes]:
            try:
                async for chunk in response.aiter_raw():
                    yield chunk
            finally:
                await response.aclose()

        return StreamingHttpResponse(relay(), content_type="text/event-stream")
    body = await response.aread()
    await response.aclose()
    return HttpResponse(body, status=response.status_code, content_type="application/json")


urlpatterns = [path("v1/chat/completions", chat_completions)]

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-floor-only",  # noqa: S106 - a local benchmark process
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={},
)
django.setup()
application = get_asgi_application()
