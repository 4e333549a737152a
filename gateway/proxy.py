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
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings

from billing.money import Usage
from gateway import catalog, metering, metrics
from gateway.errors import NO_CHANNEL_AVAILABLE, UPSTREAM_FAILED, UPSTREAM_TIMEOUT, ApiError
from gateway.holds import holder
from gateway.limits import LocalLimiter, limiter
from gateway.metering import Call, Settlement
from gateway.router import attempt_order, cool_down
from gateway.settlement import committer
from gateway.upstream import UpstreamResponse, UpstreamTimeout, UpstreamUnreachable, post

Send = Callable[[Mapping[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]
logger = logging.getLogger(__name__)

SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]

# Settlements in progress, kept referenced so a cancelled request cannot drop them.
settling: set[asyncio.Task[Any]] = set()


async def in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ORM work off the event loop, in Django's one thread for sync code (its default)."""
    return await sync_to_async(function)(*args, **kwargs)


async def admit(call: Call) -> None:
    """Route, price and hold the request (checking the key's rate limits), or refuse it."""
    routing = await catalog.get_routing()
    owner = await catalog.get_user_settings(call.user_id)
    call.multiplier, call.log_content = owner.multiplier, owner.log_content
    metering.plan_call(
        call,
        channels=routing.channels_for(call.spec.model, owner.plan_id),
        allowed_regions=owner.allowed_regions,
        price=routing.price(call.spec.model),
    )
    if call.token.spending_limit is not None:
        await in_thread(metering.check_spending_limit, call)
    if settings.REDIS_URL:
        # The hold needs no database, but the settlement will: refuse now if it is down.
        await committer().check_database()
        await holder().admit(call.token, amount=call.hold, request_id=call.request_id)
    else:
        local = limiter()
        assert isinstance(local, LocalLimiter)  # no Redis, so limits live in this process
        if call.token.rpm_limit or call.token.tpm_limit:
            await local.admit(call.token)
        await in_thread(metering.reserve, call)


async def finish(settlement: Settlement) -> None:
    """Write the settlement durably, even if the request is cancelled meanwhile."""
    if settings.REDIS_URL:
        await committer().commit(settlement)
        return
    task = asyncio.ensure_future(in_thread(metering.settle_one, settlement))
    settling.add(task)
    task.add_done_callback(settling.discard)
    await asyncio.shield(task)


async def charge(call: Call, *, usage: Usage | None, output_text: str, latency_ms: int) -> None:
    """Bill the request, then count its tokens against the key's tokens-per-minute limit."""
    settlement = metering.charged(call, usage=usage, output_text=output_text, latency_ms=latency_ms)
    await finish(settlement)
    if call.token.tpm_limit and settlement.usage:
        tokens = settlement.usage.input_tokens + settlement.usage.output_tokens
        await limiter().add_tokens(call.token, tokens)


async def release(call: Call, *, started: float) -> None:
    await finish(metering.released(call, latency_ms=elapsed_ms(started)))


def elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


async def open_upstream(call: Call, body: dict[str, Any]) -> UpstreamResponse:
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
        call.channel = channel
        try:
            response = await post(
                provider=channel.provider,
                url=adapter.url(channel.effective_base_url, call.spec.endpoint),
                body=orjson.dumps(payload),
                headers=adapter.headers(channel.api_key),
                connect_timeout=channel.connect_timeout,
                read_timeout=channel.read_timeout,
            )
        except UpstreamTimeout:
            failure = UPSTREAM_TIMEOUT
            logger.warning("Channel %s timed out; trying the next", channel.name)
        except UpstreamUnreachable as error:
            failure = NO_CHANNEL_AVAILABLE
            logger.warning("Channel %s failed (%r); trying the next", channel.name, error.__cause__)
        else:
            # A redirect is a failure too: following it could carry the key anywhere.
            if response.status < 300 or (400 <= response.status < 500 and response.status != 429):
                return response
            response.close()
            failure = NO_CHANNEL_AVAILABLE if response.status == 429 else UPSTREAM_FAILED
        metrics.upstream_failed(channel, failure.code or "")
        cool_down(channel)
    raise failure


async def upstream_error(response: UpstreamResponse) -> ApiError:
    """An upstream's own 4xx, passed on in our shape (its message, never its headers)."""
    try:
        raw = await response.read()
    except (UpstreamTimeout, UpstreamUnreachable):
        raw = b""
    finally:
        response.close()
    try:
        error = orjson.loads(raw).get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {"message": str(error)}
    message = str(error.get("message") or "The upstream refused the request.")[:2000]
    code = error.get("code") if isinstance(error.get("code"), str) else None
    param = error.get("param") if isinstance(error.get("param"), str) else None
    return ApiError(response.status, message, code=code, param=param)


async def forward(call: Call, body: dict[str, Any], receive: Receive, send: Send) -> None:
    """Hold, forward and settle one request; ApiError before any output means nothing was sent."""
    started = time.monotonic()
    await admit(call)
    try:
        response = await open_upstream(call, body)
        if response.status >= 400:
            raise await upstream_error(response)
    except ApiError as error:
        call.status_code, call.error_class = error.status, error.code or "upstream_error"
        await release(call, started=started)
        raise
    except Exception as error:
        # Whatever went wrong before any output, the hold goes back and the client gets a 502.
        logger.exception("Request %s failed before reaching an upstream", call.request_id)
        call.status_code, call.error_class = UPSTREAM_FAILED.status, type(error).__name__
        await release(call, started=started)
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
        for part in (choice, choice.get("message"), choice.get("delta")):
            if isinstance(part, dict):
                for key in ("text", "content", "reasoning_content"):
                    if isinstance(part.get(key), str):
                        parts.append(part[key])
    return "".join(parts)


async def relay_response(
    call: Call, response: UpstreamResponse, send: Send, *, started: float
) -> None:
    try:
        data = orjson.loads(await response.read())
        if not isinstance(data, dict) or "error" in data:
            # A 200 carrying an error (some upstreams do that) is a failure, not an answer.
            raise ValueError("not a completion")
    except (UpstreamTimeout, UpstreamUnreachable, ValueError) as error:
        call.status_code, call.error_class = UPSTREAM_FAILED.status, type(error).__name__
        await release(call, started=started)
        raise UPSTREAM_FAILED from error
    finally:
        response.close()
    usage = call.channel.adapter.usage(data.get("usage")) if call.channel else None
    data["model"] = call.spec.model
    call.first_token_ms = elapsed_ms(started)
    await charge(call, usage=usage, output_text=output_text(data), latency_ms=elapsed_ms(started))
    payload = orjson.dumps(data)
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
    call: Call, response: UpstreamResponse, receive: Receive, send: Send, *, started: float
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
        response.close()
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
        await send_event(send, orjson.dumps(error), more=False)
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
    call: Call, response: UpstreamResponse, send: Send, state: StreamState, *, started: float
) -> None:
    """Pass the upstream's events on one by one, noting usage and what was delivered."""
    try:
        async for line in response.lines():
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                state.finished = True
                return
            event = relayed_event(call, data, state)
            if event is None:
                continue
            if call.first_token_ms is None:
                call.first_token_ms = elapsed_ms(started)
            await send_event(send, event)
    except (UpstreamTimeout, UpstreamUnreachable):
        call.error_class = state.failed = "upstream_stream_broken"
    else:
        # The upstream closed the stream without [DONE]: count it as delivered, not failed.
        state.finished = True


def relayed_event(call: Call, data: bytes, state: StreamState) -> bytes | None:
    """The event to send the client for one upstream event, or None to drop it."""
    try:
        chunk = orjson.loads(data)
    except ValueError:
        return data
    if not isinstance(chunk, dict):
        return data
    if chunk.get("usage") and call.channel:
        state.usage = call.channel.adapter.usage(chunk["usage"])
        if not call.spec.include_usage:
            # We asked for usage for billing; a client that did not ask does not see it.
            if not chunk.get("choices"):
                return None
            chunk.pop("usage")
    state.delivered.append(output_text(chunk))
    chunk["model"] = call.spec.model
    return orjson.dumps(chunk)
