"""The console playground: chat completions for the signed-in user, through the /v1 path.

A playground request is a `/v1/chat/completions` request in everything but its identity:
the same validation, admission (limits, hold), routing and failover, settlement, usage log
and content log, all by `proxy.forward`. Its identity is the user's playground token
(`ApiToken.objects.playground_for`), which has no secret and is never listed among the keys;
usage logs name it "Playground". `proxy.forward` speaks ASGI, so `Relay` turns its messages
into the chunks of a Django streaming response.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Coroutine, Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.models import ApiToken, User
from config import logs
from gateway import proxy
from gateway.errors import PROCESSING_RESTRICTED, UPSTREAM_FAILED, ApiError
from gateway.metering import Call
from gateway.validation import parse_json, read_spec

# What the playground page sends; everything else a /v1 client could set is left out.
CHAT_FIELDS = ("model", "messages", "temperature", "max_tokens")

# Playground requests in flight, kept referenced until they have settled.
running: set[asyncio.Task[None]] = set()


class Relay:
    """The ASGI `send` and `receive` that `proxy.forward` talks to, read as a stream."""

    def __init__(self) -> None:
        # None marks the end: forward returned or raised (its task holds which).
        self.messages: asyncio.Queue[Mapping[str, Any] | None] = asyncio.Queue()
        self.gone = asyncio.Event()

    async def send(self, message: Mapping[str, Any]) -> None:
        self.messages.put_nowait(message)

    async def receive(self) -> dict[str, Any]:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def forward(self, call: Call, body: dict[str, Any]) -> None:
        try:
            await proxy.forward(call, body, self.receive, self.send)
        finally:
            self.messages.put_nowait(None)

    async def chunks(self, task: asyncio.Task[None]) -> AsyncIterator[bytes]:
        """The response body, event by event; leaving early counts as a client disconnect."""
        try:
            while (message := await self.messages.get()) is not None:
                yield message.get("body", b"")
            task.result()
        finally:
            self.gone.set()


def detached(coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    """Run `coroutine` as the /v1 handler runs, its database work in Django's one sync thread.

    Not in this request's context: there, sync work goes to the request's own thread, which
    Django shuts down once the view has returned, while the stream and its settlement go on.
    """
    context = contextvars.Context()
    context.run(logs.current_request.set, logs.current_request.get())
    task = asyncio.get_running_loop().create_task(coroutine, context=context)
    running.add(task)
    task.add_done_callback(running.discard)
    return task


def chat_body(raw: bytes) -> dict[str, Any]:
    """The /v1 body of a playground request: its chat fields only, always streamed."""
    if len(raw) > settings.GATEWAY_MAX_BODY_BYTES:
        raise ApiError(413, "The request body is too large.", code="request_too_large")
    payload = parse_json(raw)
    return {**{key: payload[key] for key in CHAT_FIELDS if key in payload}, "stream": True}


async def astream_chat(*, user: User, raw_body: bytes, client_ip: str) -> AsyncIterator[bytes]:
    """Admit and start one chat completion; ApiError if it was refused before any output."""
    if user.processing_restricted:
        raise PROCESSING_RESTRICTED
    body = chat_body(raw_body)
    call = Call(
        request_id=logs.request_id(),
        token=await proxy.in_thread(ApiToken.objects.playground_for, user),
        spec=read_spec(body, endpoint="chat"),
        body=body,
        client_ip=client_ip if settings.USAGE_LOG_CLIENT_IP else None,
    )
    relay = Relay()
    task = detached(relay.forward(call, body))
    if await relay.messages.get() is None:
        task.result()  # refused before any output: raises its ApiError
        raise UPSTREAM_FAILED
    return relay.chunks(task)


def error_message(error: ApiError) -> str:
    """What the playground page shows for a refused request, in the user's language."""
    if error.code == "insufficient_quota":
        return _("Your balance is too low for this request. Top up to continue.")
    if error.code == "processing_restricted":
        return _(
            "Processing of your data is restricted at your request, so the playground "
            "cannot send messages."
        )
    if error.code == "model_not_found":
        return _("This model does not exist or your account may not use it.")
    if error.status == 429:
        return _("Too many requests at once. Wait a moment and try again.")
    if error.status >= 500:
        return _("No model provider could answer right now. Try again shortly.")
    return _("The request was refused: %(reason)s") % {"reason": error.message}
