"""Provider adapters: URLs, request bodies and usage parsing, and the built-in mock upstream."""

from __future__ import annotations

import base64
import copy
import json
import struct
from typing import Any

import httpx
import pytest
from django.utils.functional import Promise

from billing.money import Usage
from gateway.providers import PROVIDER_CHOICES, get_provider
from gateway.providers.mock import MockProvider, mock_upstream

BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "deepseek": "https://api.deepseek.com/v1",
    "qwen": "https://dashscope.aliyuncs.com/compatible-mode/v1",
    "zhipu": "https://open.bigmodel.cn/api/paas/v4",
    "doubao": "https://ark.cn-beijing.volces.com/api/v3",
    "minimax": "https://api.minimax.io/v1",
    "compatible": "",
    "mock": "http://mock.tokengate.invalid/v1",
}

CLIENT_BODY: dict[str, Any] = {
    "model": "gpt-public",
    "messages": [{"role": "user", "content": "Hi"}],
    "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {}}}],
    "n": 2,
    "stop": ["\n\n"],
    "response_format": {"type": "json_object"},
    "enable_thinking": True,
    "thinking": {"type": "enabled"},
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize(("name", "base_url"), BASE_URLS.items())
def test_each_provider_has_its_documented_base_url(name: str, base_url: str):
    provider = get_provider(name)

    assert provider.name == name
    assert provider.default_base_url == base_url


def test_the_choices_list_every_provider_with_a_lazy_translatable_label():
    assert [name for name, _label in PROVIDER_CHOICES] == list(BASE_URLS)
    assert all(isinstance(label, Promise) for _name, label in PROVIDER_CHOICES)
    assert dict(PROVIDER_CHOICES)["doubao"] == "Doubao (Volcengine Ark)"
    assert dict(PROVIDER_CHOICES)["mock"] == "Mock (development only)"


def test_an_unknown_provider_name_raises_key_error():
    with pytest.raises(KeyError):
        get_provider("nonexistent")


@pytest.mark.parametrize(
    ("endpoint", "path"),
    [("chat", "/chat/completions"), ("completions", "/completions"), ("embeddings", "/embeddings")],
)
def test_the_url_joins_the_base_url_and_the_endpoint_path(endpoint: str, path: str):
    provider = get_provider("compatible")

    assert provider.url("http://llm.example/v1/", endpoint) == f"http://llm.example/v1{path}"
    assert provider.url("http://llm.example/v1", endpoint) == f"http://llm.example/v1{path}"


def test_the_url_refuses_an_unknown_endpoint_or_a_missing_base_url():
    provider = get_provider("openai")

    with pytest.raises(ValueError, match="Unknown endpoint"):
        provider.url("https://api.openai.com/v1", "images")
    with pytest.raises(ValueError, match="needs a base URL"):
        get_provider("compatible").url("", "chat")


@pytest.mark.parametrize("name", BASE_URLS)
def test_every_provider_sends_the_key_as_a_bearer_token(name: str):
    assert get_provider(name).headers("sk-secret") == {"Authorization": "Bearer sk-secret"}


@pytest.mark.parametrize("name", BASE_URLS)
def test_a_body_that_does_not_stream_only_gets_the_upstream_model(name: str):
    body = copy.deepcopy(CLIENT_BODY)

    sent = get_provider(name).request_body(
        body, endpoint="chat", upstream_model="ep-2025-upstream", stream=False
    )

    assert sent == {**CLIENT_BODY, "model": "ep-2025-upstream"}
    assert "stream_options" not in sent
    assert body == CLIENT_BODY


@pytest.mark.parametrize("name", BASE_URLS)
def test_a_streaming_body_always_asks_for_usage(name: str):
    body = {**CLIENT_BODY, "stream": True}
    original = copy.deepcopy(body)

    sent = get_provider(name).request_body(
        body, endpoint="chat", upstream_model="upstream", stream=True
    )

    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    assert sent["model"] == "upstream"
    assert body == original


def test_a_streaming_body_keeps_the_clients_other_stream_options():
    options = {"include_usage": False, "continuous_usage_stats": True}
    body = {"model": "m", "prompt": "Once", "stream": True, "stream_options": options}

    sent = get_provider("openai").request_body(
        body, endpoint="completions", upstream_model="m", stream=True
    )

    assert sent["stream_options"] == {"include_usage": True, "continuous_usage_stats": True}
    assert options == {"include_usage": False, "continuous_usage_stats": True}
    assert sent["stream_options"] is not options


def test_the_body_is_a_new_dict_even_when_nothing_changes():
    body = {"model": "m", "input": ["a", "b"]}

    sent = get_provider("openai").request_body(
        body, endpoint="embeddings", upstream_model="m", stream=False
    )

    assert sent == body
    assert sent is not body


@pytest.mark.parametrize("name", BASE_URLS)
def test_usage_is_read_from_the_openai_shape_with_cached_tokens(name: str):
    usage = {
        "prompt_tokens": 2006,
        "completion_tokens": 300,
        "total_tokens": 2306,
        "prompt_tokens_details": {"cached_tokens": 1920},
    }

    assert get_provider(name).usage(usage) == Usage(
        input_tokens=2006, cached_input_tokens=1920, output_tokens=300
    )


def test_embeddings_usage_has_no_output_tokens():
    usage = {"prompt_tokens": 8, "total_tokens": 8}

    assert get_provider("openai").usage(usage) == Usage(input_tokens=8)


@pytest.mark.parametrize(
    "usage",
    [
        None,
        "12",
        [12],
        {},
        {"completion_tokens": 3},
        {"prompt_tokens": None},
        {"prompt_tokens": "12"},
        {"prompt_tokens": 12.0},
        {"prompt_tokens": True},
    ],
)
def test_usage_is_none_when_there_are_no_integer_prompt_tokens(usage: Any):
    assert get_provider("openai").usage(usage) is None


def test_usage_clamps_negatives_and_non_integers_to_zero():
    usage = {
        "prompt_tokens": -5,
        "completion_tokens": "7",
        "prompt_tokens_details": {"cached_tokens": -1},
    }

    assert get_provider("openai").usage(usage) == Usage()
    assert get_provider("openai").usage({"prompt_tokens": 4, "completion_tokens": True}) == Usage(
        input_tokens=4
    )


def test_cached_tokens_never_exceed_input_tokens():
    usage = {
        "prompt_tokens": 10,
        "completion_tokens": 1,
        "prompt_tokens_details": {"cached_tokens": 50},
    }

    assert get_provider("qwen").usage(usage) == Usage(
        input_tokens=10, cached_input_tokens=10, output_tokens=1
    )


def test_deepseek_counts_cache_hits_from_its_own_fields():
    usage = {
        "prompt_tokens": 1000,
        "completion_tokens": 20,
        "total_tokens": 1020,
        "prompt_cache_hit_tokens": 768,
        "prompt_cache_miss_tokens": 232,
        "prompt_tokens_details": {"cached_tokens": 0},
    }

    assert get_provider("deepseek").usage(usage) == Usage(
        input_tokens=1000, cached_input_tokens=768, output_tokens=20
    )


def test_deepseek_cache_hits_are_clamped_like_any_count():
    usage = {"prompt_tokens": 100, "completion_tokens": 2, "prompt_cache_hit_tokens": 500}

    assert get_provider("deepseek").usage(usage) == Usage(
        input_tokens=100, cached_input_tokens=100, output_tokens=2
    )
    negative = {"prompt_tokens": 100, "completion_tokens": 2, "prompt_cache_hit_tokens": -3}
    assert get_provider("deepseek").usage(negative) == Usage(input_tokens=100, output_tokens=2)


def test_other_providers_ignore_deepseeks_cache_fields():
    usage = {"prompt_tokens": 100, "completion_tokens": 2, "prompt_cache_hit_tokens": 60}

    assert get_provider("openai").usage(usage) == Usage(input_tokens=100, output_tokens=2)


# The mock upstream, called in-process the way the proxy calls it.


def mock_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=mock_upstream))


def mock_url(endpoint: str) -> str:
    return MockProvider().url(MockProvider.default_base_url, endpoint)


def sse_events(text: str) -> list[str]:
    return [line.removeprefix("data: ") for line in text.split("\n\n") if line]


@pytest.mark.anyio
async def test_the_mock_answers_a_chat_completion_quoting_the_last_user_message():
    messages = [
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": "First answer"},
        {"role": "user", "content": [{"type": "text", "text": "x" * 300}]},
    ]
    async with mock_client() as client:
        response = await client.post(mock_url("chat"), json={"model": "demo", "messages": messages})

    assert response.status_code == 200
    data = response.json()
    assert data["object"] == "chat.completion"
    assert data["id"].startswith("chatcmpl-")
    assert isinstance(data["created"], int)
    assert data["model"] == "demo"
    reply = data["choices"][0]["message"]["content"]
    assert reply == "This is a reply from the Tokengate mock model. You said: " + "x" * 200
    assert data["choices"][0]["finish_reason"] == "stop"
    prompt_tokens = data["usage"]["prompt_tokens"]
    assert prompt_tokens == -(-len("First question\nFirst answer\n" + "x" * 300) // 4)
    assert data["usage"]["completion_tokens"] == -(-len(reply) // 4)
    assert data["usage"]["total_tokens"] == prompt_tokens + data["usage"]["completion_tokens"]


@pytest.mark.anyio
async def test_the_mock_streams_a_reply_that_ends_with_usage_then_done():
    body = {
        "model": "demo",
        "messages": [{"role": "user", "content": "Stream, please"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    async with mock_client() as client:
        response = await client.post(mock_url("chat"), json=body)

    assert response.headers["content-type"] == "text/event-stream"
    events = sse_events(response.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    content = "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks[:-1])
    assert content == "This is a reply from the Tokengate mock model. You said: Stream, please"
    assert len(chunks) == 1 + 5 + 1 + 1
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["prompt_tokens"] == 4
    assert {chunk["id"] for chunk in chunks} == {chunks[0]["id"]}
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)


@pytest.mark.anyio
async def test_the_mock_stream_has_no_usage_chunk_unless_asked():
    body = {"model": "demo", "messages": [{"role": "user", "content": "Hi"}], "stream": True}
    async with mock_client() as client:
        response = await client.post(mock_url("chat"), json=body)

    chunks = [json.loads(event) for event in sse_events(response.text)[:-1]]
    assert all(chunk["choices"] and not chunk.get("usage") for chunk in chunks)


@pytest.mark.anyio
async def test_the_mock_answers_a_legacy_completion_streamed_or_not():
    body = {"model": "demo-instruct", "prompt": "Say this is a test"}
    async with mock_client() as client:
        plain = await client.post(mock_url("completions"), json=body)
        streamed = await client.post(
            mock_url("completions"),
            json={**body, "stream": True, "stream_options": {"include_usage": True}},
        )

    data = plain.json()
    assert data["object"] == "text_completion"
    assert data["id"].startswith("cmpl-")
    text = "This is a reply from the Tokengate mock model. You said: Say this is a test"
    assert data["choices"][0]["text"] == text
    assert data["usage"] == {"prompt_tokens": 5, "completion_tokens": 19, "total_tokens": 24}
    chunks = [json.loads(event) for event in sse_events(streamed.text)[:-1]]
    assert "".join(chunk["choices"][0]["text"] for chunk in chunks[:-1]) == text
    assert chunks[-1]["usage"] == data["usage"]


@pytest.mark.anyio
async def test_the_mock_embeds_each_input_deterministically_in_eight_dimensions():
    async with mock_client() as client:
        first = await client.post(mock_url("embeddings"), json={"model": "e", "input": ["a", "b"]})
        again = await client.post(mock_url("embeddings"), json={"model": "e", "input": "a"})

    data = first.json()
    assert data["object"] == "list"
    assert [item["index"] for item in data["data"]] == [0, 1]
    vectors = [item["embedding"] for item in data["data"]]
    assert all(len(vector) == 8 and all(-1 <= x <= 1 for x in vector) for vector in vectors)
    assert vectors[0] != vectors[1]
    assert again.json()["data"][0]["embedding"] == vectors[0]
    assert data["usage"] == {"prompt_tokens": 2, "total_tokens": 2}


@pytest.mark.anyio
async def test_the_mock_sends_base64_embeddings_when_asked():
    body = {"model": "e", "input": "a"}
    async with mock_client() as client:
        floats = await client.post(mock_url("embeddings"), json=body)
        packed = await client.post(
            mock_url("embeddings"), json={**body, "encoding_format": "base64"}
        )

    raw = base64.b64decode(packed.json()["data"][0]["embedding"])
    expected = floats.json()["data"][0]["embedding"]
    assert struct.unpack("<8f", raw) == pytest.approx(expected, abs=1e-6)


@pytest.mark.anyio
async def test_the_mock_refuses_unknown_paths_and_bad_bodies():
    async with mock_client() as client:
        unknown = await client.post("http://mock.tokengate.invalid/v1/images/generations", json={})
        wrong_method = await client.get(mock_url("chat"))
        not_json = await client.post(mock_url("chat"), content=b"{nope")
        no_input = await client.post(mock_url("embeddings"), json={"model": "e"})

    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert not_json.status_code == 400
    assert no_input.status_code == 400
    assert no_input.json()["error"]["param"] == "input"
