"""MiniMax: OpenAI-compatible chat completions.

https://platform.minimax.io/docs/api-reference/text-openai-api

Its reasoning models put their thinking inline in `content` as <think>...</think>, which must
reach the client unchanged (multi-turn tool use needs it sent back whole); the proxy passes
content through, so there is nothing to do here for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

from gateway.providers.base import Provider

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class MiniMaxProvider(Provider):
    name = "minimax"
    label: StrOrPromise = gettext_lazy("MiniMax")
    default_base_url = "https://api.minimax.io/v1"
