"""The benchmark's fake OpenAI-compatible upstream: a raw ASGI app, as cheap as possible.

    uvicorn bench.upstream:app   (BENCH_CHUNKS, BENCH_GAP_MS set the streaming shape)

Non-streamed chat completions answer at once. Streamed ones send BENCH_CHUNKS content
chunks BENCH_GAP_MS apart (0 = instant), then a usage chunk and [DONE], as OpenAI does with
`stream_options.include_usage`. Every chunk carries its index so the driver can tell a lost
or reordered chunk.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]

CHUNKS = int(os.environ.get("BENCH_CHUNKS", "20"))
GAP = float(os.environ.get("BENCH_GAP_MS", "20")) / 1000
USAGE = {"prompt_tokens": 12, "completion_tokens": CHUNKS, "total_tokens": 12 + CHUNKS}

COMPLETION = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": "bench-upstream",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello from the bench upstream."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19},
    }
).encode()
JSON_HEADERS = [(b"content-type", b"application/json")]
SSE_HEADERS = [(b"content-type", b"text/event-stream")]


def chunk(index: int) -> bytes:
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "bench-upstream",
        "choices": [{"index": 0, "delta": {"content": f"<{index}>"}, "finish_reason": None}],
    }
    return b"data: " + json.dumps(body).encode() + b"\n\n"


USAGE_CHUNK = (
    b"data: "
    + json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "bench-upstream",
            "choices": [],
            "usage": USAGE,
        }
    ).encode()
    + b"\n\n"
)


async def app(
    scope: Message,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    stream = b'"stream":true' in body.replace(b" ", b"")
    if not stream:
        await send({"type": "http.response.start", "status": 200, "headers": JSON_HEADERS})
        await send({"type": "http.response.body", "body": COMPLETION})
        return
    await send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
    for index in range(CHUNKS):
        if GAP:
            await asyncio.sleep(GAP)
        await send({"type": "http.response.body", "body": chunk(index), "more_body": True})
    await send({"type": "http.response.body", "body": USAGE_CHUNK, "more_body": True})
    await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})
