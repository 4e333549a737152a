"""Reading a /v1 request body: strict JSON and the OpenAI fields the gateway relies on.

Python's json accepts NaN, Infinity and duplicate keys, huge floats become infinity and
integers have no bound (orjson, which writes the upstream body, stops at 64 bits); all of
those are refused here, as is nesting deep enough to exhaust the parser.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from gateway.errors import ApiError, invalid_request

MAX_N = 16
MAX_OUTPUT_TOKENS = 1_000_000
INT64_RANGE = range(-(2**63), 2**63)


def parse_json(raw: bytes) -> dict[str, Any]:
    def refuse_constant(name: str) -> None:
        raise invalid_request(f"Invalid JSON: {name} is not a number.")

    def finite_float(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise invalid_request("Invalid JSON: a number is too large.")
        return value

    oversized = False

    def bounded_int(text: str) -> int:
        nonlocal oversized
        value = int(text)
        oversized = oversized or value not in INT64_RANGE
        return value

    def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _value in pairs]
        if len(keys) != len(set(keys)):
            raise invalid_request("Invalid JSON: an object has duplicate keys.")
        return dict(pairs)

    try:
        body = json.loads(
            raw,
            parse_constant=refuse_constant,
            parse_float=finite_float,
            parse_int=bounded_int,
            object_pairs_hook=unique_keys,
        )
    except RecursionError as error:
        raise invalid_request("Invalid JSON: nested too deeply.") from error
    except (ValueError, UnicodeDecodeError) as error:
        raise invalid_request("We could not parse the JSON body of your request.") from error
    if not isinstance(body, dict):
        raise invalid_request("The request body must be a JSON object.")
    if oversized:
        raise oversized_integer(body)
    return body


def oversized_integer(body: dict[str, Any]) -> ApiError:
    """Name the field when the integer beyond 64 bits is a top-level one, as most are."""
    for name, value in body.items():
        if isinstance(value, int) and value not in INT64_RANGE:
            return invalid_request(f"`{name}` is too large for a 64-bit integer.", param=name)
    return invalid_request("Invalid JSON: an integer is too large for 64 bits.")


@dataclass(frozen=True)
class RequestSpec:
    """What the gateway needs to know about a request to route, hold and meter it."""

    endpoint: str  # "chat", "completions" or "embeddings"
    model: str
    stream: bool
    include_usage: bool  # whether the client itself asked for the usage chunk
    max_output_tokens: int  # worst case over all choices, for the hold
    prompt_text: str  # the text the prompt is made of, for token estimates


def integer(body: dict[str, Any], name: str, *, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise invalid_request(f"`{name}` must be an integer from {low} to {high}.", param=name)
    return value


def number(body: dict[str, Any], name: str, *, low: float, high: float) -> None:
    value = body.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise invalid_request(f"`{name}` must be a number from {low} to {high}.", param=name)


def text_of(value: Any) -> str:
    """All the strings inside a prompt (messages, content parts, tool definitions...)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(text_of(item) for item in value.values())
    if isinstance(value, list):
        return " ".join(text_of(item) for item in value)
    return ""


def read_spec(body: dict[str, Any], *, endpoint: str) -> RequestSpec:
    model = body.get("model")
    if not isinstance(model, str) or not model.strip() or len(model) > 200:
        raise invalid_request("`model` must be a model name.", param="model")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise invalid_request("`stream` must be true or false.", param="stream")
    stream_options = body.get("stream_options") or {}
    if not isinstance(stream_options, dict):
        raise invalid_request("`stream_options` must be an object.", param="stream_options")
    number(body, "temperature", low=0, high=2)
    number(body, "top_p", low=0, high=1)
    n = integer(body, "n", low=1, high=MAX_N) or 1
    if endpoint == "chat":
        prompt = body.get("messages")
        if not isinstance(prompt, list) or not prompt:
            raise invalid_request("`messages` must be a non-empty list.", param="messages")
        limit = integer(body, "max_completion_tokens", low=1, high=MAX_OUTPUT_TOKENS)
    else:
        field = "prompt" if endpoint == "completions" else "input"
        prompt = body.get(field)
        if not isinstance(prompt, str | list) or not prompt:
            raise invalid_request(f"`{field}` must be a string or a non-empty list.", param=field)
        limit = None
    limit = limit or integer(body, "max_tokens", low=1, high=MAX_OUTPUT_TOKENS)
    if endpoint == "embeddings":
        max_output = 0
    else:
        max_output = n * (limit or settings.GATEWAY_DEFAULT_MAX_OUTPUT_TOKENS)
    return RequestSpec(
        endpoint=endpoint,
        model=model,
        stream=stream and endpoint != "embeddings",
        include_usage=stream_options.get("include_usage") is True,
        max_output_tokens=max_output,
        prompt_text=text_of(prompt) + text_of(body.get("tools")),
    )
