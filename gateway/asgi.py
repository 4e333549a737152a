"""The `/v1` API as a lean ASGI app beside Django (ARCHITECTURE.md, "Two server paths").

Django's per-request machinery is skipped here, so this module does itself what middleware
does for console paths: Host validation and OpenAI-shaped errors. Cookie sessions never
authenticate `/v1`; only `Authorization: Bearer sk-…` or `x-api-key` do, with one policy.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from accounts.models import ApiToken

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]


class ApiError(Exception):
    """An error answered in OpenAI's shape: {"error": {"message", "type", "param", "code"}}."""

    def __init__(self, status: int, message: str, *, type: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code

    def body(self) -> dict[str, Any]:
        return {
            "error": {"message": self.message, "type": self.type, "param": None, "code": self.code}
        }


INVALID_API_KEY = ApiError(
    401,
    "Incorrect API key provided. You can find your API keys in the Tokengate console.",
    type="invalid_request_error",
    code="invalid_api_key",
)


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
        raise ApiError(
            400, "Invalid Host header.", type="invalid_request_error", code="invalid_host"
        )


def authenticate_request(scope: Scope) -> ApiToken:
    token = ApiToken.objects.authenticate(presented_api_key(scope))
    client_ip = scope["client"][0] if scope.get("client") else ""
    if token is None or not token.allows_ip(client_ip):
        raise INVALID_API_KEY
    token.record_use()
    return token


async def list_models(scope: Scope) -> dict[str, Any]:
    await sync_to_async(authenticate_request)(scope)
    # The model catalog arrives with the gateway's channels; until then no model is served.
    return {"object": "list", "data": []}


ROUTES = {("GET", "/v1/models"): list_models}


async def send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    try:
        check_host(scope)
        path = scope["path"].rstrip("/")
        handler = ROUTES.get((scope["method"], path))
        if handler is None:
            allowed = any(route_path == path for _method, route_path in ROUTES)
            status = 405 if allowed else 404
            message = f"Invalid URL ({scope['method']} {scope['path']})"
            raise ApiError(status, message, type="invalid_request_error")
        await send_json(send, 200, await handler(scope))
    except ApiError as error:
        await send_json(send, error.status, error.body())
