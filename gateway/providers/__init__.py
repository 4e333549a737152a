"""Upstream providers: every adapter the gateway can send a channel's requests to.

All of them speak OpenAI's API; `base.Provider` holds that behaviour and each module below
records one provider's base URL and its quirks, with a link to the documentation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.providers.base import Provider
from gateway.providers.compatible import CompatibleProvider
from gateway.providers.deepseek import DeepSeekProvider
from gateway.providers.doubao import DoubaoProvider
from gateway.providers.minimax import MiniMaxProvider
from gateway.providers.mock import MockProvider
from gateway.providers.openai import OpenAIProvider
from gateway.providers.qwen import QwenProvider
from gateway.providers.zhipu import ZhipuProvider

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = ["PROVIDERS", "PROVIDER_CHOICES", "Provider", "get_provider"]

PROVIDERS: dict[str, Provider] = {
    provider.name: provider
    for provider in (
        OpenAIProvider(),
        DeepSeekProvider(),
        QwenProvider(),
        ZhipuProvider(),
        DoubaoProvider(),
        MiniMaxProvider(),
        CompatibleProvider(),
        MockProvider(),
    )
}

# Labels stay lazy so that each user sees them in their own language.
PROVIDER_CHOICES: list[tuple[str, StrOrPromise]] = [
    (provider.name, provider.label) for provider in PROVIDERS.values()
]


def get_provider(name: str) -> Provider:
    """The adapter named `name`; KeyError if there is none."""
    return PROVIDERS[name]
