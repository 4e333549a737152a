"""A fake OpenAI-compatible upstream: a real HTTP server on loopback, scripted per test.

The gateway reaches upstreams over real sockets, with real timeouts, streams and dropped
connections; an in-process transport would hide exactly those. So `FakeUpstream` runs a raw
ASGI application under uvicorn in a background thread with its own event loop, and answers
each request with the next scripted `Reply` (or the default one), recording what it received.

    with FakeUpstream() as upstream:
        upstream.script(Reply(status=429, headers={"retry-after": "1"}), Reply(gap=0.1))
        ...  # point a channel at upstream.base_url

It is also fast enough to stand in for an upstream in benchmarks: nothing waits unless a
reply asks for a delay or a gap.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import socket
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import uvicorn

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CHAT = "/v1/chat/completions"
COMPLETIONS = "/v1/completions"
EMBEDDINGS = "/v1/embeddings"
PATHS = (CHAT, COMPLETIONS, EMBEDDINGS)
STARTUP_TIMEOUT = 5.0


def default_usage() -> dict[str, Any]:
    return {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}


@dataclass
class Reply:
    """How the fake answers one request."""

    status: int = 200
    # Seconds before the response starts, to trigger the client's read timeout.
    delay: float = 0.0
    content: str = "Hello from the fake upstream."
    # Streaming: the content is split into this many chunks, `gap` seconds apart.
    chunks: int = 3
    gap: float = 0.0
    # None sends no usage at all, as some upstreams do.
    usage: dict[str, Any] | None = field(default_factory=default_usage)
    # Streaming: drop the connection after this many content chunks.
    fail_after_chunks: int | None = None
    # The body of a non-2xx answer; None sends an OpenAI-shaped error.
    error_body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # A non-streamed 2xx answers with this body instead of a completion (in-band errors).
    body: dict[str, Any] | None = None


@dataclass
class Recorded:
    """One request as the fake received it."""

    path: str
    headers: dict[str, str]
    body: Any


class FakeUpstream:
    def __init__(self, *, default: Reply | None = None) -> None:
        self.default = default or Reply()
        # deque and list appends are atomic, so tests may script and read from their own
        # thread while the server's thread answers.
        self.replies: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self.disconnects = 0
        self.ids = itertools.count(1)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.socket.getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with `replies`, in order."""
        self.replies.extend(replies)

    def reset(self) -> None:
        self.replies.clear()
        self.requests.clear()
        self.disconnects = 0

    def start(self) -> FakeUpstream:
        # Binding port 0 before uvicorn starts picks a free port with no race to reuse it.
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        config = uvicorn.Config(
            self.app,
            interface="asgi3",
            lifespan="off",
            access_log=False,
            log_config=None,
            proxy_headers=False,
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )
        self.thread.start()
        self.wait_until_started()
        return self

    def wait_until_started(self) -> None:
        assert self.server is not None and self.thread is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The fake upstream did not start.")
            time.sleep(0.005)

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=STARTUP_TIMEOUT)
        self.socket.close()

    def __enter__(self) -> FakeUpstream:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def next_reply(self) -> Reply:
        try:
            return self.replies.popleft()
        except IndexError:
            return self.default

    # The ASGI application, running on the server's thread.

    async def app(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = parse_json(await read_body(receive))
        path = scope["path"]
        self.requests.append(Recorded(path=path, headers=header_dict(scope), body=body))
        if path not in PATHS or scope["method"] != "POST":
            await send_json(send, 404, error_payload(404))
            return
        if not isinstance(body, dict):
            await send_json(send, 400, error_payload(400))
            return
        # Once the body is read, receive() returns only when the client goes away.
        disconnected = asyncio.ensure_future(receive())
        try:
            await self.answer(path, body, self.next_reply(), send, disconnected)
        finally:
            disconnected.cancel()

    async def answer(
        self,
        path: str,
        body: dict[str, Any],
        reply: Reply,
        send: Send,
        disconnected: asyncio.Future[Message],
    ) -> None:
        if reply.delay and await self.gone_within(disconnected, reply.delay):
            return
        if reply.status >= 400:
            payload = reply.error_body or error_payload(reply.status)
            await send_json(send, reply.status, payload, reply.headers)
        elif body.get("stream") is True and path != EMBEDDINGS:
            await self.stream(path, body, reply, send, disconnected)
        else:
            payload = reply.body or self.response(path, body, reply)
            await send_json(send, reply.status, payload, reply.headers)

    async def gone_within(self, disconnected: asyncio.Future[Message], seconds: float) -> bool:
        """Wait `seconds`, or less if the client goes away; True (and counted) if it did."""
        await asyncio.wait({disconnected}, timeout=seconds)
        if disconnected.done():
            self.disconnects += 1
        return disconnected.done()

    async def stream(
        self,
        path: str,
        body: dict[str, Any],
        reply: Reply,
        send: Send,
        disconnected: asyncio.Future[Message],
    ) -> None:
        chunk = Chunks(path, model_of(body), f"fake-{next(self.ids)}")
        headers = {"content-type": "text/event-stream", "cache-control": "no-cache"}
        await start_response(send, reply.status, {**headers, **reply.headers})
        if path == CHAT:
            await send_event(send, chunk.role())
        pieces = split(reply.content, reply.chunks)
        if reply.fail_after_chunks is not None:
            pieces = pieces[: reply.fail_after_chunks]
        for number, piece in enumerate(pieces):
            if number and reply.gap and await self.gone_within(disconnected, reply.gap):
                return
            await send_event(send, chunk.content(piece))
        if reply.fail_after_chunks is not None:
            # Returning without finishing the body makes uvicorn close the connection: the
            # client sees a stream cut off mid-way, as when an upstream crashes.
            return
        await send_event(send, chunk.finish())
        if reply.usage is not None and wants_usage(body):
            await send_event(send, chunk.usage(reply.usage))
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})

    def response(self, path: str, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        model = model_of(body)
        if path == EMBEDDINGS:
            return embeddings_response(body, model, reply.usage)
        if path == CHAT:
            message = {"role": "assistant", "content": reply.content}
            choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": "stop"}
            kind, prefix = "chat.completion", "chatcmpl"
        else:
            choice = {"index": 0, "text": reply.content, "logprobs": None, "finish_reason": "stop"}
            kind, prefix = "text_completion", "cmpl"
        payload = {
            "id": f"{prefix}-fake-{next(self.ids)}",
            "object": kind,
            "created": int(time.time()),
            "model": model,
            "choices": [choice],
        }
        if reply.usage is not None:
            payload["usage"] = reply.usage
        return payload


@dataclass
class Chunks:
    """The events of one stream, in OpenAI's chunk shapes for chat or legacy completions."""

    path: str
    model: str
    suffix: str

    def base(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        chat = self.path == CHAT
        return {
            "id": f"{'chatcmpl' if chat else 'cmpl'}-{self.suffix}",
            "object": "chat.completion.chunk" if chat else "text_completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": choices,
        }

    def choice(self, text: str | None, finish_reason: str | None = None) -> dict[str, Any]:
        if self.path != CHAT:
            return {"index": 0, "text": text or "", "finish_reason": finish_reason}
        delta = {} if text is None else {"content": text}
        return {"index": 0, "delta": delta, "finish_reason": finish_reason}

    def role(self) -> dict[str, Any]:
        choice = {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}
        return self.base([choice])

    def content(self, text: str) -> dict[str, Any]:
        return self.base([self.choice(text)])

    def finish(self) -> dict[str, Any]:
        return self.base([self.choice(None, "stop")])

    def usage(self, usage: dict[str, Any]) -> dict[str, Any]:
        return {**self.base([]), "usage": usage}


def embeddings_response(
    body: dict[str, Any], model: str, usage: dict[str, Any] | None
) -> dict[str, Any]:
    inputs = body.get("input")
    count = len(inputs) if isinstance(inputs, list) else 1
    data = [
        {"object": "embedding", "index": index, "embedding": [0.125 * (index + 1)] * 8}
        for index in range(count)
    ]
    payload: dict[str, Any] = {"object": "list", "data": data, "model": model}
    if usage is not None:
        # Embeddings report input tokens only.
        prompt_tokens = usage.get("prompt_tokens", 0)
        payload["usage"] = {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}
    return payload


def split(text: str, count: int) -> list[str]:
    size = max(1, math.ceil(len(text) / max(count, 1)))
    return [text[start : start + size] for start in range(0, len(text), size)] or [""]


def error_payload(status: int) -> dict[str, Any]:
    kind = "invalid_request_error" if status < 500 else "server_error"
    message = f"The fake upstream answered {status}."
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def model_of(body: dict[str, Any]) -> str:
    return str(body.get("model") or "fake-model")


def wants_usage(body: dict[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def header_dict(scope: Message) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
    }


async def read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def start_response(send: Send, status: int, headers: dict[str, str]) -> None:
    encoded = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": encoded})


async def send_json(
    send: Send, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    content = json.dumps(payload).encode()
    fixed = {"content-type": "application/json", "content-length": str(len(content))}
    await start_response(send, status, {**fixed, **(headers or {})})
    await send({"type": "http.response.body", "body": content})


async def send_event(send: Send, chunk: dict[str, Any]) -> None:
    event = b"data: " + json.dumps(chunk).encode() + b"\n\n"
    await send({"type": "http.response.body", "body": event, "more_body": True})
