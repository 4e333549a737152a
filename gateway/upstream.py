"""Sending one request to an upstream and reading its answer, plainly or as server-sent events.

One pooled aiohttp session per event loop (uvicorn runs one loop per worker): measured on the
benchmark, it costs far less per request than httpx, whose pool polls every idle connection
on each request (bench/README.md). Redirects are never followed, so an upstream cannot bounce
a request, and its key, somewhere else; addresses are checked again at connect time
(gateway/upstream_urls.py). The `mock` provider is answered in-process by its ASGI
app, so the embedded setup needs no network at all.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, MutableMapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp

from gateway.providers.mock import mock_upstream
from gateway.upstream_urls import GuardedResolver, is_allowed_literal


class UpstreamTimeout(Exception):
    """The upstream did not connect or answer within the channel's timeouts."""


class UpstreamUnreachable(Exception):
    """The connection failed or broke (refused, reset, closed mid-answer)."""


class UpstreamResponse(Protocol):
    status: int

    async def read(self) -> bytes: ...

    def lines(self) -> AsyncIterator[bytes]: ...

    def close(self) -> None: ...


async def lines_of(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The lines of a body as its chunks arrive (no length limit: tool calls can be long)."""
    pending = b""
    async for chunk in chunks:
        *complete, pending = (pending + chunk).split(b"\n")
        for line in complete:
            yield line.rstrip(b"\r")
    if pending:
        yield pending


class NetworkResponse:
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.status = response.status

    async def read(self) -> bytes:
        try:
            return await self.response.read()
        except TimeoutError as error:
            raise UpstreamTimeout from error
        except aiohttp.ClientError as error:
            raise UpstreamUnreachable from error

    async def lines(self) -> AsyncIterator[bytes]:
        try:
            async for line in lines_of(self.response.content.iter_any()):
                yield line
        except TimeoutError as error:
            raise UpstreamTimeout from error
        except aiohttp.ClientError as error:
            raise UpstreamUnreachable from error

    def close(self) -> None:
        self.response.close()


class InProcessResponse:
    """The mock provider's answer, read from its ASGI app as it sends it."""

    def __init__(self, status: int, messages: asyncio.Queue[bytes | None]) -> None:
        self.status = status
        self.messages = messages

    async def chunks(self) -> AsyncIterator[bytes]:
        while (chunk := await self.messages.get()) is not None:
            yield chunk

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.chunks()])

    def lines(self) -> AsyncIterator[bytes]:
        return lines_of(self.chunks())

    def close(self) -> None:
        pass


async def call_in_process(url: str, body: bytes) -> InProcessResponse:
    scope: MutableMapping[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": "/v1" + url.split("/v1", 1)[-1],
        "headers": [(b"content-type", b"application/json")],
    }
    messages: asyncio.Queue[bytes | None] = asyncio.Queue()
    started: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.set_result(message["status"])
        else:
            await messages.put(message.get("body", b""))
            if not message.get("more_body"):
                await messages.put(None)

    task = asyncio.ensure_future(mock_upstream(scope, receive, send))
    running.add(task)
    task.add_done_callback(running.discard)
    return InProcessResponse(await started, messages)


running: set[asyncio.Task[None]] = set()
sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aiohttp.ClientSession] = (
    weakref.WeakKeyDictionary()
)


def session() -> aiohttp.ClientSession:
    loop = asyncio.get_running_loop()
    if loop not in sessions or sessions[loop].closed:
        connector = aiohttp.TCPConnector(
            limit=1000, limit_per_host=0, keepalive_timeout=30, resolver=GuardedResolver()
        )
        sessions[loop] = aiohttp.ClientSession(
            connector=connector, skip_auto_headers=("User-Agent", "Accept-Encoding")
        )
    return sessions[loop]


async def post(
    *,
    provider: str,
    url: str,
    body: bytes,
    headers: dict[str, str],
    connect_timeout: float,
    read_timeout: float,
) -> UpstreamResponse:
    """Send the request; the response's headers have arrived when this returns."""
    if provider == "mock":
        return await call_in_process(url, body)
    if not is_allowed_literal(urlsplit(url).hostname or ""):
        raise UpstreamUnreachable(f"{url} points to an address upstreams may not use.")
    timeout = aiohttp.ClientTimeout(total=None, connect=connect_timeout, sock_read=read_timeout)
    try:
        response = await session().post(
            url,
            data=body,
            headers={**headers, "Content-Type": "application/json"},
            timeout=timeout,
            allow_redirects=False,
        )
    except TimeoutError as error:
        raise UpstreamTimeout from error
    except aiohttp.ClientError as error:
        raise UpstreamUnreachable from error
    return NetworkResponse(response)


async def close_session() -> None:
    """Close this loop's pool (at shutdown), so no connection is left half-open."""
    open_session = sessions.pop(asyncio.get_running_loop(), None)
    if open_session is not None:
        await open_session.close()
