"""OpenAI itself: the reference every other adapter follows.

Cached input tokens are in usage.prompt_tokens_details.cached_tokens, which the base reads.
https://platform.openai.com/docs/guides/prompt-caching
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

from gateway.providers.base import Provider

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class OpenAIProvider(Provider):
    name = "openai"
    label: StrOrPromise = gettext_lazy("OpenAI")
    default_base_url = "https://api.openai.com/v1"
