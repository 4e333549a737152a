"""The fake upstream that gateway tests and benchmarks run against, over real HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.upstream import FakeUpstream, Reply

CHAT = {"model": "fake-model", "messages": [{"role": "user", "content": "Hi"}]}
STREAM = {**CHAT, "stream": True}
STREAM_WITH_USAGE = {**STREAM, "stream_options": {"include_usage": True}}


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def client(upstream: FakeUpstream) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=upstream.base_url, timeout=5) as http:
        yield http


def stream_chunks(client: httpx.Client, body: dict[str, Any]) -> list[Any]:
    """Every event of a streamed answer: chunks as dicts, and the final "[DONE]"."""
    with client.stream("POST", "/chat/completions", json=body) as response:
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    return [event if event == "[DONE]" else json.loads(event) for event in events]


def content_of(chunks: list[Any]) -> str:
    choices = [chunk["choices"] for chunk in chunks if isinstance(chunk, dict)]
    return "".join(found[0]["delta"].get("content", "") for found in choices if found)


def eventually(condition: Callable[[], bool], *, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_it_answers_a_chat_completion_and_records_the_request(
    upstream: FakeUpstream, client: httpx.Client
):
    response = client.post("/chat/completions", json=CHAT, headers={"Authorization": "Bearer k"})

    assert upstream.base_url == f"http://127.0.0.1:{upstream.port}/v1"
    assert response.status_code == 200
    data = response.json()
    assert data["object"] == "chat.completion"
    assert data["choices"][0]["message"]["content"] == "Hello from the fake upstream."
    assert data["usage"] == {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19}
    [recorded] = upstream.requests
    assert recorded.path == "/v1/chat/completions"
    assert recorded.headers["authorization"] == "Bearer k"
    assert recorded.body == CHAT


def test_it_answers_legacy_completions_and_embeddings(upstream: FakeUpstream, client: httpx.Client):
    completion = client.post("/completions", json={"model": "m", "prompt": "Once"}).json()
    embeddings = client.post("/embeddings", json={"model": "e", "input": ["a", "b"]}).json()

    assert completion["object"] == "text_completion"
    assert completion["choices"][0]["text"] == "Hello from the fake upstream."
    assert embeddings["object"] == "list"
    assert [len(item["embedding"]) for item in embeddings["data"]] == [8, 8]
    assert embeddings["usage"] == {"prompt_tokens": 12, "total_tokens": 12}
    assert [recorded.path for recorded in upstream.requests] == [
        "/v1/completions",
        "/v1/embeddings",
    ]


def test_scripted_replies_are_used_in_order_then_the_default(
    upstream: FakeUpstream, client: httpx.Client
):
    upstream.script(
        Reply(status=429, headers={"retry-after": "1"}),
        Reply(status=500, error_body={"error": {"message": "boom"}}),
        Reply(content="Third", usage=None),
    )

    limited = client.post("/chat/completions", json=CHAT)
    failed = client.post("/chat/completions", json=CHAT)
    third = client.post("/chat/completions", json=CHAT)
    fallback = client.post("/chat/completions", json=CHAT)

    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "1"
    assert limited.json()["error"]["type"] == "invalid_request_error"
    assert failed.status_code == 500
    assert failed.json() == {"error": {"message": "boom"}}
    assert third.json()["choices"][0]["message"]["content"] == "Third"
    assert "usage" not in third.json()
    assert fallback.json()["choices"][0]["message"]["content"] == "Hello from the fake upstream."
    assert len(upstream.requests) == 4


def test_a_delay_times_the_client_out_and_counts_the_disconnect(
    upstream: FakeUpstream, client: httpx.Client
):
    upstream.script(Reply(delay=2.0))

    with pytest.raises(httpx.ReadTimeout):
        client.post("/chat/completions", json=CHAT, timeout=0.2)

    assert eventually(lambda: upstream.disconnects == 1)


def test_a_streaming_gap_makes_chunks_arrive_one_by_one(
    upstream: FakeUpstream, client: httpx.Client
):
    upstream.script(Reply(content="abcdef", chunks=3, gap=0.2))
    arrivals: list[tuple[float, str]] = []

    with client.stream("POST", "/chat/completions", json=STREAM) as response:
        for line in response.iter_lines():
            if line.startswith("data: {") and '"content": "' in line and '"role"' not in line:
                delta = json.loads(line[6:])["choices"][0]["delta"]
                arrivals.append((time.monotonic(), delta["content"]))

    assert [content for _at, content in arrivals] == ["ab", "cd", "ef"]
    assert arrivals[1][0] - arrivals[0][0] >= 0.15
    assert arrivals[2][0] - arrivals[0][0] >= 0.35


def test_a_stream_sends_usage_only_when_the_client_asks(
    upstream: FakeUpstream, client: httpx.Client
):
    plain = stream_chunks(client, STREAM)
    with_usage = stream_chunks(client, STREAM_WITH_USAGE)

    assert plain[-1] == "[DONE]"
    assert all(chunk["choices"] and "usage" not in chunk for chunk in plain[:-1])
    assert plain[-2]["choices"][0]["finish_reason"] == "stop"
    assert with_usage[-1] == "[DONE]"
    assert with_usage[-2] == {**with_usage[-2], "choices": [], "usage": Reply().usage}
    assert content_of(plain) == content_of(with_usage) == "Hello from the fake upstream."


def test_a_reply_without_usage_streams_no_usage_even_when_asked(
    upstream: FakeUpstream, client: httpx.Client
):
    upstream.script(Reply(usage=None))

    chunks = stream_chunks(client, STREAM_WITH_USAGE)

    assert chunks[-1] == "[DONE]"
    assert all(chunk["choices"] for chunk in chunks[:-1])


def test_legacy_completions_stream_text_chunks(upstream: FakeUpstream, client: httpx.Client):
    body = {
        "model": "m",
        "prompt": "Once",
        "stream": True,
        "stream_options": {"include_usage": True},
    }

    with client.stream("POST", "/completions", json=body) as response:
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]

    chunks = [json.loads(event) for event in events[:-1]]
    assert events[-1] == "[DONE]"
    assert "".join(chunk["choices"][0]["text"] for chunk in chunks[:-1]) == Reply().content
    assert chunks[-1]["usage"] == Reply().usage


def test_fail_after_chunks_cuts_the_stream_off(upstream: FakeUpstream, client: httpx.Client):
    upstream.script(Reply(content="abcdef", chunks=3, fail_after_chunks=2))
    received: list[str] = []

    with (
        pytest.raises(httpx.RemoteProtocolError),
        client.stream("POST", "/chat/completions", json=STREAM_WITH_USAGE) as response,
    ):
        received.extend(line for line in response.iter_lines() if line.startswith("data: "))

    chunks = [json.loads(line[6:]) for line in received]
    assert content_of(chunks) == "abcd"
    assert all(chunk["choices"][0]["finish_reason"] is None for chunk in chunks)


def test_a_client_that_leaves_mid_stream_is_counted_as_a_disconnect(
    upstream: FakeUpstream, client: httpx.Client
):
    upstream.script(Reply(content="abcdefghij", chunks=5, gap=0.2))

    with client.stream("POST", "/chat/completions", json=STREAM) as response:
        for line in response.iter_lines():
            if '"content": "ab"' in line:
                break

    assert eventually(lambda: upstream.disconnects == 1)


def test_a_finished_stream_is_not_a_disconnect(upstream: FakeUpstream, client: httpx.Client):
    upstream.script(Reply(gap=0.01))

    stream_chunks(client, STREAM_WITH_USAGE)
    client.post("/chat/completions", json=CHAT)

    time.sleep(0.1)
    assert upstream.disconnects == 0


def test_unknown_paths_answer_404_without_using_a_scripted_reply(
    upstream: FakeUpstream, client: httpx.Client
):
    upstream.script(Reply(content="Kept"))

    missing = client.post("/images/generations", json={})
    kept = client.post("/chat/completions", json=CHAT)

    assert missing.status_code == 404
    assert kept.json()["choices"][0]["message"]["content"] == "Kept"


def test_reset_forgets_requests_replies_and_disconnects(
    upstream: FakeUpstream, client: httpx.Client
):
    client.post("/chat/completions", json=CHAT)
    upstream.script(Reply(status=500))
    upstream.disconnects = 3

    upstream.reset()

    assert upstream.requests == []
    assert client.post("/chat/completions", json=CHAT).status_code == 200
    assert upstream.disconnects == 0
