"""Any other OpenAI-compatible server (vLLM, Ollama, a hosted API): the channel gives the URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

from gateway.providers.base import Provider

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class CompatibleProvider(Provider):
    name = "compatible"
    label: StrOrPromise = gettext_lazy("OpenAI-compatible")
    default_base_url = ""
