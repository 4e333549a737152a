"""The mock provider: a deterministic stand-in upstream for the embedded development setup.

`mock_upstream` is a raw ASGI application that answers like an OpenAI-compatible server. The
proxy calls it in-process through `httpx.ASGITransport`, so a fresh checkout can send requests
end to end (billing included) without an account at any provider. It is never a real model:
a chat reply quotes the last user message, and embeddings are derived from a hash.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import struct
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy

from gateway.providers.base import Provider

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Chunk = dict[str, Any]

REPLY_PREFIX = "This is a reply from the Tokengate mock model. You said: "
QUOTED_CHARACTERS = 200
STREAMED_PIECES = 5
EMBEDDING_DIMENSIONS = 8
DEFAULT_MODEL = "mock-model"


class MockProvider(Provider):
    name = "mock"
    label: StrOrPromise = gettext_lazy("Mock (development only)")
    # The .invalid top-level domain never resolves (RFC 2606): nothing can leave the process.
    default_base_url = "http://mock.tokengate.invalid/v1"


async def mock_upstream(scope: Message, receive: Receive, send: Send) -> None:
    """ASGI 3 entry point: POST /v1/chat/completions, /v1/completions and /v1/embeddings."""
    if scope["type"] != "http":
        return
    handler = ROUTES.get(scope["path"])
    if handler is None:
        await send_json(send, 404, error(f"Unknown path {scope['path']}.", code="not_found"))
        return
    if scope["method"] != "POST":
        await send_json(send, 405, error("Use POST.", code="method_not_allowed"))
        return
    try:
        body = json.loads(await read_body(receive))
    except ValueError:
        body = None
    if not isinstance(body, dict):
        await send_json(send, 400, error("The body must be a JSON object."))
        return
    await handler(body, send)


async def answer_chat(body: dict[str, Any], send: Send) -> None:
    messages = body.get("messages")
    messages = messages if isinstance(messages, list) else []
    reply = REPLY_PREFIX + last_user_text(messages)[:QUOTED_CHARACTERS]
    usage = usage_of("\n".join(message_text(message) for message in messages), reply)
    model = model_of(body)
    if body.get("stream") is True:
        await send_stream(send, chat_chunks(model, reply, usage if wants_usage(body) else None))
        return
    message = {"role": "assistant", "content": reply}
    choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
    payload = {**head("chatcmpl", "chat.completion", model), "choices": [choice], "usage": usage}
    await send_json(send, 200, payload)


async def answer_completion(body: dict[str, Any], send: Send) -> None:
    prompt = prompt_text(body.get("prompt"))
    reply = REPLY_PREFIX + prompt[:QUOTED_CHARACTERS]
    usage = usage_of(prompt, reply)
    model = model_of(body)
    if body.get("stream") is True:
        await send_stream(send, text_chunks(model, reply, usage if wants_usage(body) else None))
        return
    choice = {"text": reply, "index": 0, "logprobs": None, "finish_reason": "stop"}
    payload = {**head("cmpl", "text_completion", model), "choices": [choice], "usage": usage}
    await send_json(send, 200, payload)


async def answer_embeddings(body: dict[str, Any], send: Send) -> None:
    texts = embedding_inputs(body.get("input"))
    if not texts:
        await send_json(send, 400, error("'input' must be a non-empty string or list.", "input"))
        return
    as_base64 = body.get("encoding_format") == "base64"
    data = [
        {"object": "embedding", "index": index, "embedding": embedding_of(text, as_base64)}
        for index, text in enumerate(texts)
    ]
    tokens = sum(token_estimate(text) for text in texts)
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    payload = {"object": "list", "data": data, "model": model_of(body), "usage": usage}
    await send_json(send, 200, payload)


ROUTES: dict[str, Callable[[dict[str, Any], Send], Awaitable[None]]] = {
    "/v1/chat/completions": answer_chat,
    "/v1/completions": answer_completion,
    "/v1/embeddings": answer_embeddings,
}


def chat_chunks(model: str, reply: str, usage: dict[str, int] | None) -> Iterator[Chunk]:
    """A role chunk, the reply in pieces, a finish chunk, then usage if it was asked for."""
    first = head("chatcmpl", "chat.completion.chunk", model, usage=None)

    def chunk(delta: dict[str, str], finish_reason: str | None = None) -> Chunk:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return {**first, "choices": [choice]}

    yield chunk({"role": "assistant", "content": ""})
    for piece in pieces(reply, STREAMED_PIECES):
        yield chunk({"content": piece})
    yield chunk({}, "stop")
    if usage is not None:
        # OpenAI's last chunk before [DONE]: empty choices and the whole request's usage.
        yield {**first, "choices": [], "usage": usage}


def text_chunks(model: str, reply: str, usage: dict[str, int] | None) -> Iterator[Chunk]:
    first = head("cmpl", "text_completion", model, usage=None)

    def chunk(text: str, finish_reason: str | None = None) -> Chunk:
        choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish_reason}
        return {**first, "choices": [choice]}

    for piece in pieces(reply, STREAMED_PIECES):
        yield chunk(piece)
    yield chunk("", "stop")
    if usage is not None:
        yield {**first, "choices": [], "usage": usage}


def head(prefix: str, kind: str, model: str, **extra: Any) -> Chunk:
    """The fields every response or chunk starts with, in OpenAI's shape."""
    return {
        "id": f"{prefix}-mock{uuid.uuid4().hex[:24]}",
        "object": kind,
        "created": int(time.time()),
        "model": model,
        **extra,
    }


def pieces(text: str, count: int) -> list[str]:
    size = max(1, math.ceil(len(text) / count))
    return [text[start : start + size] for start in range(0, len(text), size)] or [""]


def message_text(message: Any) -> str:
    """The text of a chat message, whether its content is a string or a list of parts."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = (part.get("text") for part in content if isinstance(part, dict))
        return " ".join(text for text in texts if isinstance(text, str))
    return ""


def last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return message_text(message)
    return ""


def prompt_text(prompt: Any) -> str:
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list):
        return "\n".join(item for item in prompt if isinstance(item, str))
    return ""


def embedding_inputs(value: Any) -> list[str]:
    """Each input as text; token arrays are hashed by their JSON form."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item if isinstance(item, str) else json.dumps(item) for item in value]
    return []


def embedding_of(text: str, as_base64: bool) -> list[float] | str:
    """A fixed vector for `text`: each pair of hash bytes scaled into [-1, 1]."""
    digest = hashlib.sha256(text.encode()).digest()
    vector = [
        round(int.from_bytes(digest[2 * i : 2 * i + 2], "big") / 32767.5 - 1, 6)
        for i in range(EMBEDDING_DIMENSIONS)
    ]
    if as_base64:
        # What OpenAI sends for encoding_format=base64: little-endian float32 values.
        return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()
    return vector


def token_estimate(text: str) -> int:
    # About four characters a token in English; never zero, as no real upstream reports it.
    return max(1, math.ceil(len(text) / 4))


def usage_of(prompt: str, reply: str) -> dict[str, int]:
    prompt_tokens, completion_tokens = token_estimate(prompt), token_estimate(reply)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def model_of(body: dict[str, Any]) -> str:
    model = body.get("model")
    return model if isinstance(model, str) and model else DEFAULT_MODEL


def wants_usage(body: dict[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def error(message: str, param: str | None = None, *, code: str | None = None) -> dict[str, Any]:
    kind = "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


async def read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    content = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(content))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


async def send_stream(send: Send, chunks: Iterator[Chunk]) -> None:
    headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for chunk in chunks:
        event = b"data: " + json.dumps(chunk).encode() + b"\n\n"
        await send({"type": "http.response.body", "body": event, "more_body": True})
    await send({"type": "http.response.body", "body": b"data: [DONE]\n\n"})
