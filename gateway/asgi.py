"""The `/v1` API as a lean ASGI app beside Django (ARCHITECTURE.md, "Two server paths").

Django's per-request machinery is skipped here, so this module does itself what middleware
does for console paths: Host validation, a body size limit, request ids and OpenAI-shaped
errors. Cookie sessions never authenticate `/v1`; only `Authorization: Bearer sk-…` or
`x-api-key` do, with one policy.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from django.conf import settings
from django.db import DatabaseError
from django.http.request import split_domain_port, validate_host
from django.utils import timezone

from accounts.models import ApiToken
from config import logs
from gateway import catalog, metrics, proxy
from gateway.errors import (
    INVALID_API_KEY,
    PROCESSING_RESTRICTED,
    ApiError,
    invalid_request,
    model_not_found,
)
from gateway.metering import Call
from gateway.validation import parse_json, read_spec

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]

logger = logging.getLogger(__name__)

# uvicorn's httptools parser sets no limit on headers; no real client sends this much.
MAX_HEADER_BYTES = 128 * 1024

ENDPOINTS = {
    "/v1/chat/completions": "chat",
    "/v1/completions": "completions",
    "/v1/embeddings": "embeddings",
}


def header_values(scope: Scope, name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in scope["headers"] if key.lower() == name]


def presented_api_key(scope: Scope) -> str:
    """The one key the client sent; two different keys, or none, are refused alike."""
    keys = set(header_values(scope, b"x-api-key"))
    for value in header_values(scope, b"authorization"):
        scheme, _space, credentials = value.partition(" ")
        if scheme.lower() != "bearer":
            raise INVALID_API_KEY
        keys.add(credentials.strip())
    if len(keys) != 1:
        raise INVALID_API_KEY
    return keys.pop()


def check_host(scope: Scope) -> None:
    hosts = header_values(scope, b"host")
    domain, _port = split_domain_port(hosts[0]) if len(hosts) == 1 else ("", "")
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        raise ApiError(400, "Invalid Host header.", code="invalid_host")


def client_ip(scope: Scope) -> str:
    return scope["client"][0] if scope.get("client") else ""


async def authenticate(scope: Scope) -> ApiToken:
    token = await catalog.find_token(presented_api_key(scope))
    if token is None or not token.allows_ip(client_ip(scope)):
        raise INVALID_API_KEY
    if token.user.processing_restricted:
        raise PROCESSING_RESTRICTED
    now = timezone.now()
    if token.last_use_due(now=now):
        # At most once per API_KEY_LAST_USED_RESOLUTION: the cached key carries the stamp.
        token.last_used_at = now
        await proxy.in_thread(ApiToken.objects.filter(pk=token.pk).update, last_used_at=now)
    return token


async def list_models(scope: Scope) -> dict[str, Any]:
    token = await authenticate(scope)
    data = [
        {"id": model, "object": "model", "created": 0, "owned_by": "tokengate"}
        for model in await catalog.models_for_key(token)
    ]
    return {"object": "list", "data": data}


async def read_body(scope: Scope, receive: Receive) -> bytes:
    declared = header_values(scope, b"content-length")
    limit = settings.GATEWAY_MAX_BODY_BYTES
    if declared and declared[0].isdigit() and int(declared[0]) > limit:
        raise ApiError(413, "The request body is too large.", code="request_too_large")
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ApiError(400, "The client disconnected.", code="client_disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "The request body is too large.", code="request_too_large")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def complete(scope: Scope, receive: Receive, send: Send, endpoint: str) -> None:
    token = await authenticate(scope)
    content_type = (header_values(scope, b"content-type") or [""])[0]
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise invalid_request("Send the request body as application/json.")
    body = parse_json(await read_body(scope, receive))
    spec = read_spec(body, endpoint=endpoint)
    if not token.allows_model(spec.model):
        raise model_not_found(spec.model)
    metrics.note_model(spec.model)
    call = Call(
        request_id=logs.request_id(),  # the id config/asgi.py returns and logs
        token=token,
        spec=spec,
        body=body,
        client_ip=client_ip(scope) if settings.USAGE_LOG_CLIENT_IP else None,
    )
    await proxy.forward(call, body, receive, send)


async def send_json(
    send: Send, status: int, body: dict[str, Any], headers: Mapping[str, str]
) -> None:
    payload = orjson.dumps(body)
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    head += [(name.encode(), value.encode()) for name, value in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": payload})


INTERNAL_ERROR = ApiError(
    500, "The gateway failed to handle this request.", type="server_error", code="internal_error"
)


DATABASE_UNAVAILABLE = ApiError(
    503,
    "The gateway cannot reach its database right now. Try again shortly.",
    type="server_error",
    code="service_unavailable",
)


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    started = False

    async def tracking_send(message: Mapping[str, Any]) -> None:
        nonlocal started
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await route(scope, receive, tracking_send)
    except DatabaseError:
        # The database is down: nothing was forwarded or charged, and the client may retry.
        logger.exception("Database unavailable on %s", scope["path"])
        if not started:
            await send_json(send, 503, DATABASE_UNAVAILABLE.body(), {"retry-after": "1"})
    except Exception:
        # Never a bare 500 page: clients get OpenAI's error shape (unless output had begun).
        logger.exception("Unhandled error on %s", scope["path"])
        if not started:
            await send_json(send, 500, INTERNAL_ERROR.body(), {})


async def route(scope: Scope, receive: Receive, send: Send) -> None:
    path, method = scope["path"].rstrip("/"), scope["method"]
    try:
        if sum(len(name) + len(value) for name, value in scope["headers"]) > MAX_HEADER_BYTES:
            raise ApiError(431, "The request headers are too large.", code="headers_too_large")
        check_host(scope)
        if path == "/v1/models" and method == "GET":
            await send_json(send, 200, await list_models(scope), {})
        elif path in ENDPOINTS and method == "POST":
            await complete(scope, receive, send, ENDPOINTS[path])
        else:
            message = f"Invalid URL ({method} {scope['path']})"
            if path == "/v1/models" or path in ENDPOINTS:
                allow = "GET" if path == "/v1/models" else "POST"
                raise ApiError(405, message, headers={"allow": allow})
            raise ApiError(404, message)
    except ApiError as error:
        await send_json(send, error.status, error.body(), error.headers)
