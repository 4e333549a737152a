"""Input rows: hostile request bodies and headers get a clear 4xx in OpenAI's shape, never a
500, and cost nothing; the upstream never sees them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.fakes.upstream import FakeUpstream, Reply
from tests.reliability.conftest import MODEL, assert_openai_error, bearer, v1

pytestmark = pytest.mark.django_db

CHAT = "/v1/chat/completions"
MESSAGES = '[{"role": "user", "content": "hi"}]'


@pytest.fixture
def channel(make_channel: Callable[..., Any], settings: Any) -> Any:
    settings.UPSTREAM_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8"]
    return make_channel()


def post_raw(api_key: str, raw: bytes) -> httpx.Response:
    return v1(CHAT, content=raw, headers=bearer(api_key))


def refused(
    response: httpx.Response, upstream: FakeUpstream, check: Callable[[], None], status: int = 400
) -> dict[str, Any]:
    error = assert_openai_error(response, status)
    assert upstream.requests == []
    check()
    return error


def test_malformed_json_is_refused(channel, api_key, upstream, nothing_charged):
    refused(post_raw(api_key, b'{"model": "gpt-test", "messages": ['), upstream, nothing_charged)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(channel, api_key, upstream, nothing_charged, constant):
    raw = f'{{"model": "{MODEL}", "messages": {MESSAGES}, "temperature": {constant}}}'
    refused(post_raw(api_key, raw.encode()), upstream, nothing_charged)


def test_a_number_too_large_for_a_float_is_refused(channel, api_key, upstream, nothing_charged):
    raw = f'{{"model": "{MODEL}", "messages": {MESSAGES}, "temperature": 1e999}}'
    refused(post_raw(api_key, raw.encode()), upstream, nothing_charged)


def test_an_integer_beyond_64_bits_is_refused(channel, api_key, upstream, nothing_charged):
    # Found by fuzzing: the body reached orjson, which cannot write it, and the worker said 500.
    raw = f'{{"model": "{MODEL}", "messages": {MESSAGES}, "seed": {2**64}}}'
    refused(post_raw(api_key, raw.encode()), upstream, nothing_charged)


def test_duplicate_keys_are_refused(channel, api_key, upstream, nothing_charged):
    # Two parsers could read two different models from this body: it is refused outright.
    raw = f'{{"model": "{MODEL}", "model": "gpt-other", "messages": {MESSAGES}}}'
    refused(post_raw(api_key, raw.encode()), upstream, nothing_charged)


def test_ten_thousand_levels_of_nesting_are_refused(channel, api_key, upstream, nothing_charged):
    deep = "[" * 10_000 + "]" * 10_000
    raw = f'{{"model": "{MODEL}", "messages": {MESSAGES}, "metadata": {deep}}}'
    refused(post_raw(api_key, raw.encode()), upstream, nothing_charged)


def test_a_30_mb_body_is_refused_with_413(channel, api_key, upstream, nothing_charged):
    filler = "x" * (30 * 1024 * 1024)
    raw = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": filler}]})
    refused(post_raw(api_key, raw.encode()), upstream, nothing_charged, status=413)


def test_a_30_mb_body_without_a_length_is_cut_off_with_413(
    channel, api_key, upstream, nothing_charged
):
    async def chunks():  # sent chunked: the limit holds while reading, not on Content-Length
        yield b'{"model": "gpt-test", "messages": [{"role": "user", "content": "'
        for _ in range(30):
            yield b"x" * (1024 * 1024)
        yield b'"}]}'

    response = v1(CHAT, content=chunks(), headers=bearer(api_key))
    refused(response, upstream, nothing_charged, status=413)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_body_that_is_not_declared_as_json_is_refused(
    channel, api_key, upstream, nothing_charged, content_type
):
    headers = {**bearer(api_key), "Content-Type": content_type}
    body = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]})
    refused(v1(CHAT, content=body.encode(), headers=headers), upstream, nothing_charged)


def test_unknown_fields_are_left_to_the_upstream_and_its_400_costs_nothing(
    channel, api_key, upstream, nothing_charged
):
    # Providers add their own parameters (enable_thinking, ...), so the gateway forwards
    # fields it does not know; the upstream's refusal reaches the client in OpenAI's shape.
    upstream.script(
        Reply(status=400, error_body={"error": {"message": "Unrecognized argument: frobnicate"}})
    )
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "frobnicate": 1}
    response = v1(CHAT, json_body=body, headers=bearer(api_key))
    error = assert_openai_error(response, 400)
    assert "frobnicate" in error["message"]
    assert upstream.requests[0].body["frobnicate"] == 1
    nothing_charged()


@pytest.mark.parametrize("value", [0, -1, 17, 10**30, 1.5, "2", True])
def test_a_negative_or_huge_n_is_refused(channel, api_key, upstream, nothing_charged, value):
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "n": value}
    error = refused(v1(CHAT, json_body=body, headers=bearer(api_key)), upstream, nothing_charged)
    assert error["param"] == "n"


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
@pytest.mark.parametrize("value", [0, -5, 10**6 + 1, 2**63, -(2**63), "100"])
def test_a_negative_or_huge_max_tokens_is_refused(
    channel, api_key, upstream, nothing_charged, field, value
):
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], field: value}
    error = refused(v1(CHAT, json_body=body, headers=bearer(api_key)), upstream, nothing_charged)
    assert error["param"] == field


@pytest.mark.parametrize("value", [-0.1, 2.01, 1e300, -1e300, "1", [1]])
def test_an_out_of_range_temperature_is_refused(channel, api_key, upstream, nothing_charged, value):
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "temperature": value}
    error = refused(v1(CHAT, json_body=body, headers=bearer(api_key)), upstream, nothing_charged)
    assert error["param"] == "temperature"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("header", ["Authorization", "X-Api-Key", "Content-Type", "X-Anything"])
def test_an_oversized_header_gets_a_4xx_and_never_a_500(
    live_gateway, make_channel, api_key, upstream, header
):
    make_channel()
    headers = {**bearer(api_key), header: "A" * 300_000}
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
    try:
        response = httpx.post(f"{live_gateway}/chat/completions", json=body, headers=headers)
    except httpx.RemoteProtocolError:
        response = None  # the server closed the connection on the oversized head: also fine
    assert response is None or 400 <= response.status_code < 500
    assert upstream.requests == []
