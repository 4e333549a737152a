"""System checks for the payment providers' settings."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from billing.payments import PROVIDERS, filled_settings


@register()
def check_payment_providers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A provider with some secrets set but not all is a half-finished setup: say so at start.

    Such a provider is never offered and its webhook answers 404 (an empty secret would let
    anyone sign), which would otherwise go unnoticed until payments fail.
    """
    errors: list[CheckMessage] = []
    for provider in PROVIDERS.values():
        present = filled_settings(provider.secret_settings)
        missing = [name for name in provider.secret_settings if name not in present]
        if present and missing:
            errors.append(
                Error(
                    f"{provider.name} payments are partly configured: "
                    f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} empty.",
                    hint=f"Set all of {', '.join(provider.secret_settings)}, or none of them.",
                    id="billing.E001",
                )
            )
    return errors + check_zpay_exchange_rate()


def check_zpay_exchange_rate() -> list[CheckMessage]:
    if not PROVIDERS["zpay"].is_configured():
        return []
    try:
        rate = Decimal(settings.ZPAY_EXCHANGE_RATE)
    except InvalidOperation:
        rate = Decimal(0)
    if rate.is_finite() and rate > 0:
        return []
    return [
        Error(
            f"ZPAY_EXCHANGE_RATE must be a positive number, not {settings.ZPAY_EXCHANGE_RATE!r}.",
            hint="How many CNY one unit of PLATFORM_CURRENCY costs, such as 7.20.",
            id="billing.E002",
        )
    ]
