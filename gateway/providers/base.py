"""The OpenAI-compatible behaviour that every upstream adapter inherits.

An adapter answers four questions for the proxy: where a request goes (`url`), how it is
authenticated (`headers`), what body is sent (`request_body`) and how many tokens the upstream
says it used (`usage`). Providers differ mostly in their base URL and in where they report
cached input tokens, so subclasses override little or nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from billing.money import Usage

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ENDPOINT_PATHS = {
    "chat": "/chat/completions",
    "completions": "/completions",
    "embeddings": "/embeddings",
}


def token_count(value: Any) -> int:
    """A token count as the upstream reported it: integers only, never below zero.

    `bool` is a subclass of `int` in Python, so `True` would otherwise count as one token.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(value, 0)


class Provider:
    """An upstream that speaks OpenAI's API; subclasses name it and give its base URL."""

    name: str
    label: StrOrPromise
    # Empty when there is no sensible default: the channel must then give its own.
    default_base_url: str = ""

    def url(self, base_url: str, endpoint: str) -> str:
        if not base_url:
            raise ValueError(f"The {self.name} provider needs a base URL.")
        try:
            path = ENDPOINT_PATHS[endpoint]
        except KeyError:
            raise ValueError(f"Unknown endpoint: {endpoint!r}") from None
        return base_url.rstrip("/") + path

    def headers(self, api_key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_key}"}

    def request_body(
        self, body: dict[str, Any], *, endpoint: str, upstream_model: str, stream: bool
    ) -> dict[str, Any]:
        """The body sent upstream: a new dict; the client's own is never changed.

        Every other field (tools, n, stop, response_format, reasoning switches such as
        `enable_thinking` or `thinking`) passes through as the client sent it.
        """
        sent = {**body, "model": upstream_model}
        if stream:
            # Without include_usage an OpenAI-compatible stream reports no usage at all,
            # and the request could not be billed from the upstream's own counts.
            # https://platform.openai.com/docs/api-reference/chat/create#chat-create-stream_options
            options = body.get("stream_options")
            sent["stream"] = True
            sent["stream_options"] = {
                **(options if isinstance(options, dict) else {}),
                "include_usage": True,
            }
        return sent

    def usage(self, usage: dict[str, Any] | None) -> Usage | None:
        """The upstream's token counts, or None when it reported none that can be trusted.

        Embeddings report prompt_tokens and total_tokens only: their output is zero.
        """
        if not isinstance(usage, dict):
            return None
        prompt_tokens = usage.get("prompt_tokens")
        if isinstance(prompt_tokens, bool) or not isinstance(prompt_tokens, int):
            return None
        input_tokens = token_count(prompt_tokens)
        return Usage(
            input_tokens=input_tokens,
            cached_input_tokens=min(self.cached_tokens(usage), input_tokens),
            output_tokens=token_count(usage.get("completion_tokens")),
        )

    def cached_tokens(self, usage: dict[str, Any]) -> int:
        """Input tokens served from the provider's cache, in OpenAI's shape.

        https://platform.openai.com/docs/guides/prompt-caching
        """
        details = usage.get("prompt_tokens_details")
        if not isinstance(details, dict):
            return 0
        return token_count(details.get("cached_tokens"))
