"""Forwarding one /v1 request: hold, try channels until one answers, stream, settle once.

Failover happens only before the first byte reaches the client: a connect error, a timeout,
a 429 or a 5xx moves on to the next channel (and cools the failed one down). Once output has
started, a failure ends the stream with an error event and the request is billed for what
was delivered. Settlement runs shielded from cancellation, so a client that disconnects, or
a worker shutting down, still leaves exactly one charge and one usage log; the stream's last
event ([DONE]) and a non-streamed response are sent only after the charge is committed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from asgiref.sync import sync_to_async

from billing.money import Usage
from gateway import metering
from gateway.errors import NO_CHANNEL_AVAILABLE, UPSTREAM_FAILED, UPSTREAM_TIMEOUT, ApiError
from gateway.limits import limiter
from gateway.metering import Call
from gateway.providers.mock import mock_upstream
from gateway.router import attempt_order, cool_down
from gateway.upstream_urls import guarded_transport

Send = Callable[[Mapping[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]
logger = logging.getLogger(__name__)

SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]

# One pooled client per event loop (uvicorn runs one loop per worker); redirects are never
# followed, so an upstream cannot bounce a request (and its key) somewhere else.
clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)
mock_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)
# Settlements in progress, kept referenced so a cancelled request cannot drop them.
settling: set[asyncio.Task[Any]] = set()


def upstream_client(provider: str) -> httpx.AsyncClient:
    loop = asyncio.get_running_loop()
    if provider == "mock":
        if loop not in mock_clients:
            transport = httpx.ASGITransport(app=mock_upstream)
            mock_clients[loop] = httpx.AsyncClient(transport=transport)
        return mock_clients[loop]
    if loop not in clients:
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=200)
        clients[loop] = httpx.AsyncClient(
            transport=guarded_transport(limits), follow_redirects=False
        )
    return clients[loop]


async def in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ORM work off the event loop, in Django's one thread for sync code (its default).

    One thread serialises database work per worker; the performance issue replaces these
    hops with in-process caches and batched settlement.
    """
    return await sync_to_async(function)(*args, **kwargs)


async def settle(function: Callable[..., Any], call: Call, **kwargs: Any) -> Any:
    """Run a settlement to completion even if the request is cancelled meanwhile."""
    task = asyncio.ensure_future(in_thread(function, call, **kwargs))
    settling.add(task)
    task.add_done_callback(settling.discard)
    return await asyncio.shield(task)


async def charge(call: Call, **kwargs: Any) -> None:
    """Bill the request, then count its tokens against the key's tokens-per-minute limit."""
    usage = await settle(metering.charge, call, **kwargs)
    if call.token.tpm_limit:
        await limiter().add_tokens(call.token, usage.input_tokens + usage.output_tokens)


def elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


async def open_upstream(call: Call, body: dict[str, Any]) -> httpx.Response:
    """The first channel's response that can be passed on; failed channels cool down."""
    failure = NO_CHANNEL_AVAILABLE
    for channel in attempt_order(call.channels):
        adapter = channel.adapter
        payload = adapter.request_body(
            body,
            endpoint=call.spec.endpoint,
            upstream_model=channel.upstream_model(call.spec.model),
            stream=call.spec.stream,
        )
        client = upstream_client(channel.provider)
        request = client.build_request(
            "POST",
            adapter.url(channel.effective_base_url, call.spec.endpoint),
            json=payload,
            headers=adapter.headers(channel.api_key),
            timeout=httpx.Timeout(channel.read_timeout, connect=channel.connect_timeout),
        )
        call.channel = channel
        try:
            response = await client.send(request, stream=True)
        except httpx.TimeoutException:
            failure = UPSTREAM_TIMEOUT
        except httpx.HTTPError:
            failure = NO_CHANNEL_AVAILABLE
        else:
            # A redirect is a failure too: following it could carry the key anywhere.
            status = response.status_code
            if status < 300 or (400 <= status < 500 and status != 429):
                return response
            await response.aclose()
            failure = NO_CHANNEL_AVAILABLE if response.status_code == 429 else UPSTREAM_FAILED
        cool_down(channel)
    raise failure


async def upstream_error(response: httpx.Response) -> ApiError:
    """An upstream's own 4xx, passed on in our shape (its message, never its headers)."""
    raw = await response.aread()
    await response.aclose()
    try:
        error = json.loads(raw).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {"message": str(error)}
    message = str(error.get("message") or "The upstream refused the request.")[:2000]
    code = error.get("code") if isinstance(error.get("code"), str) else None
    param = error.get("param") if isinstance(error.get("param"), str) else None
    return ApiError(response.status_code, message, code=code, param=param)


async def forward(call: Call, body: dict[str, Any], receive: Receive, send: Send) -> None:
    """Hold, forward and settle one request; ApiError before any output means nothing was sent."""
    started = time.monotonic()
    await in_thread(metering.open_call, call)
    try:
        response = await open_upstream(call, body)
        if response.status_code >= 400:
            raise await upstream_error(response)
    except ApiError as error:
        call.status_code, call.error_class = error.status, error.code or "upstream_error"
        await settle(metering.refund_hold, call, latency_ms=elapsed_ms(started))
        raise
    except Exception as error:
        # Whatever went wrong before any output, the hold goes back and the client gets a 502.
        logger.exception("Request %s failed before reaching an upstream", call.request_id)
        call.status_code, call.error_class = UPSTREAM_FAILED.status, type(error).__name__
        await settle(metering.refund_hold, call, latency_ms=elapsed_ms(started))
        raise UPSTREAM_FAILED from error
    if call.spec.stream:
        await relay_stream(call, response, receive, send, started=started)
    else:
        await relay_response(call, response, send, started=started)


def output_text(data: dict[str, Any]) -> str:
    """The generated text of a response or chunk, for counting when usage is missing."""
    parts = []
    for choice in data.get("choices") or []:
        if not isinstance(choice, dict):
            continue
        for holder in (choice, choice.get("message"), choice.get("delta")):
            if isinstance(holder, dict):
                for key in ("text", "content", "reasoning_content"):
                    if isinstance(holder.get(key), str):
                        parts.append(holder[key])
    return "".join(parts)


async def relay_response(
    call: Call, response: httpx.Response, send: Send, *, started: float
) -> None:
    try:
        raw = await response.aread()
        data = json.loads(raw)
        if not isinstance(data, dict) or "error" in data:
            # A 200 carrying an error (some upstreams do that) is a failure, not an answer.
            raise ValueError("not a completion")
    except (httpx.HTTPError, ValueError) as error:
        call.status_code, call.error_class = UPSTREAM_FAILED.status, type(error).__name__
        await settle(metering.refund_hold, call, latency_ms=elapsed_ms(started))
        raise UPSTREAM_FAILED from error
    finally:
        await response.aclose()
    usage = call.channel.adapter.usage(data.get("usage")) if call.channel else None
    data["model"] = call.spec.model
    call.first_token_ms = elapsed_ms(started)
    await charge(call, usage=usage, output_text=output_text(data), latency_ms=elapsed_ms(started))
    payload = json.dumps(data).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"x-request-id", call.request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


@dataclass
class StreamState:
    usage: Usage | None = None
    delivered: list[str] = field(default_factory=list)
    finished: bool = False  # the upstream sent [DONE]
    failed: str = ""


async def relay_stream(
    call: Call, response: httpx.Response, receive: Receive, send: Send, *, started: float
) -> None:
    state = StreamState()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [*SSE_HEADERS, (b"x-request-id", call.request_id.encode())],
        }
    )
    pump = asyncio.ensure_future(pump_events(call, response, send, state, started=started))
    disconnect = asyncio.ensure_future(wait_for_disconnect(receive))
    try:
        await asyncio.wait({pump, disconnect}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        # A client that left cancels the upstream request; otherwise the watcher goes.
        for task in (pump, disconnect):
            task.cancel()
        await asyncio.gather(pump, disconnect, return_exceptions=True)
        await response.aclose()
        if disconnect.done() and not disconnect.cancelled() and not state.finished:
            call.error_class = "client_disconnected"
        await charge(
            call,
            usage=state.usage,
            output_text="".join(state.delivered),
            latency_ms=elapsed_ms(started),
        )
    if state.failed:
        error = {"error": {**UPSTREAM_FAILED.body()["error"], "code": state.failed}}
        await send_event(send, json.dumps(error).encode(), more=False)
    else:
        await send_event(send, b"[DONE]", more=False)


async def wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def send_event(send: Send, data: bytes, *, more: bool = True) -> None:
    await send(
        {"type": "http.response.body", "body": b"data: " + data + b"\n\n", "more_body": more}
    )


async def pump_events(
    call: Call, response: httpx.Response, send: Send, state: StreamState, *, started: float
) -> None:
    """Pass the upstream's events on one by one, noting usage and what was delivered."""
    try:
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                state.finished = True
                return
            event = relayed_event(call, data, state)
            if event is None:
                continue
            if call.first_token_ms is None:
                call.first_token_ms = elapsed_ms(started)
            await send_event(send, event)
    except httpx.HTTPError:
        call.error_class = state.failed = "upstream_stream_broken"
    else:
        # The upstream closed the stream without [DONE]: count it as delivered, not failed.
        state.finished = True


def relayed_event(call: Call, data: str, state: StreamState) -> bytes | None:
    """The event to send the client for one upstream event, or None to drop it."""
    try:
        chunk = json.loads(data)
    except ValueError:
        return data.encode()
    if not isinstance(chunk, dict):
        return data.encode()
    if chunk.get("usage") and call.channel:
        state.usage = call.channel.adapter.usage(chunk["usage"])
        if not call.spec.include_usage:
            # We asked for usage for billing; a client that did not ask does not see it.
            if not chunk.get("choices"):
                return None
            chunk.pop("usage")
    state.delivered.append(output_text(chunk))
    chunk["model"] = call.spec.model
    return json.dumps(chunk).encode()
