"""DeepSeek: OpenAI-compatible, with its own fields for context-cache hits.

DeepSeek documents https://api.deepseek.com as the base URL and accepts /v1 for OpenAI
compatibility (the "v1" has nothing to do with the model version).
https://api-docs.deepseek.com/

In thinking mode (switched by the client's `thinking` field, which passes through) the chain of
thought comes as `reasoning_content` beside `content`; the proxy passes responses through
unchanged, so there is nothing to do here for it.
https://api-docs.deepseek.com/guides/thinking_mode
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy

from gateway.providers.base import Provider, token_count

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DeepSeekProvider(Provider):
    name = "deepseek"
    label: StrOrPromise = gettext_lazy("DeepSeek")
    default_base_url = "https://api.deepseek.com/v1"

    def cached_tokens(self, usage: dict[str, Any]) -> int:
        # Cache hits come as prompt_cache_hit_tokens (misses as prompt_cache_miss_tokens).
        # https://api-docs.deepseek.com/guides/kv_cache
        if "prompt_cache_hit_tokens" in usage:
            return token_count(usage["prompt_cache_hit_tokens"])
        return super().cached_tokens(usage)
