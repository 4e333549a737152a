"""Qwen on Alibaba Cloud Model Studio (DashScope), in its OpenAI-compatible mode.

The Beijing-region endpoint is the default; other regions have their own base URLs.
https://www.alibabacloud.com/help/en/model-studio/base-url

A stream reports usage only when stream_options.include_usage is set, which the base always
does. `enable_thinking` (hybrid-thinking models) passes through in the body unchanged.
https://help.aliyun.com/en/model-studio/deep-thinking

Context-cache hits are in usage.prompt_tokens_details.cached_tokens, which the base reads.
https://www.alibabacloud.com/help/en/model-studio/context-cache
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

from gateway.providers.base import Provider

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class QwenProvider(Provider):
    name = "qwen"
    label: StrOrPromise = gettext_lazy("Qwen (DashScope)")
    default_base_url = "https://dashscope.aliyuncs.com/compatible-mode/v1"
