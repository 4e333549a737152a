"""Zhipu GLM on the BigModel open platform: OpenAI-compatible.

https://docs.bigmodel.cn/cn/guide/develop/openai/introduction

Context-cache hits are in usage.prompt_tokens_details.cached_tokens, which the base reads.
https://docs.bigmodel.cn/cn/guide/capabilities/cache
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

from gateway.providers.base import Provider

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ZhipuProvider(Provider):
    name = "zhipu"
    label: StrOrPromise = gettext_lazy("Zhipu GLM")
    default_base_url = "https://open.bigmodel.cn/api/paas/v4"
