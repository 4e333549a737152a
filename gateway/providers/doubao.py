"""Doubao on Volcengine Ark: OpenAI-compatible chat API with Bearer keys, cn-beijing region.

https://www.volcengine.com/docs/82379/1298459

Ark's `model` is a model ID or an inference endpoint ID (ep-...); the channel's model mapping
supplies it, so nothing differs here but the base URL. Cache hits (Ark's prefix and session
caches) are counted in OpenAI's usage.prompt_tokens_details.cached_tokens, which the base reads.
https://www.volcengine.com/docs/82379/1396491
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

from gateway.providers.base import Provider

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DoubaoProvider(Provider):
    name = "doubao"
    label: StrOrPromise = gettext_lazy("Doubao (Volcengine Ark)")
    default_base_url = "https://ark.cn-beijing.volces.com/api/v3"
