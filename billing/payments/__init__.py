"""Payment providers: how a top-up order is paid.

Each provider quotes an amount of the platform currency, sends the browser to its payment page,
and reads its signed webhooks into a `Notification`. Only `billing.webhooks` acts on those, and
only `billing.ledger` moves money. A provider is offered when every one of its secrets is set.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from django.conf import settings

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from billing.models import TopUpOrder


class ProviderError(Exception):
    """The provider could not start a payment (refused or unreachable); the user may retry."""


@dataclass(frozen=True)
class Quote:
    """What a top-up of some amount of the platform currency costs at one provider."""

    currency: str
    charged_amount: Decimal
    exchange_rate: Decimal


class PaymentProvider(Protocol):
    name: str
    label: StrOrPromise
    # The settings that must all be non-empty for the provider to be offered.
    secret_settings: tuple[str, ...]

    def is_configured(self) -> bool: ...

    def quote(self, amount: Decimal) -> Quote: ...

    def start_checkout(self, order: TopUpOrder, *, return_url: str, cancel_url: str) -> str: ...


class Action(enum.Enum):
    CREDIT = "credit"
    FAIL = "fail"
    REFUND = "refund"
    IGNORE = "ignore"


@dataclass(frozen=True)
class Notification:
    """A webhook whose signature has been verified, reduced to what the workflow acts on.

    `amount` is in major units of `currency` (None: not to be checked); `livemode` is None for
    a provider without a test mode. `order_id` is our order as the payload names it; when it is
    empty the order is looked up by `provider_reference`.
    """

    event_id: str
    kind: str
    action: Action
    order_id: str = ""
    amount: Decimal | None = None
    currency: str = ""
    livemode: bool | None = None
    provider_reference: str = ""


class WebhookError(Exception):
    """A webhook request that is refused; the message is the short plain-text answer."""

    def __init__(self, reason: str, *, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def filled_settings(names: tuple[str, ...]) -> list[str]:
    """The names among `names` whose setting holds a non-blank value (blank counts as unset)."""
    return [name for name in names if str(getattr(settings, name, "") or "").strip()]


# Stripe's lists; every other currency has two decimals.
# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA"}
    | {"PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def minor_unit_exponent(currency: str) -> int:
    code = currency.upper()
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    return 3 if code in THREE_DECIMAL_CURRENCIES else 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """An amount in the currency's smallest unit (cents); ValueError if it does not divide."""
    scaled = amount.scaleb(minor_unit_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} {currency} is not a whole number of minor units.")
    return int(scaled)


def from_minor_units(value: int, currency: str) -> Decimal:
    return Decimal(value).scaleb(-minor_unit_exponent(currency))


# The provider modules import the names above, so they are imported after them.
from billing.payments.creem import CreemProvider  # noqa: E402
from billing.payments.stripe import StripeProvider  # noqa: E402
from billing.payments.zpay import ZpayProvider  # noqa: E402

PROVIDERS: dict[str, PaymentProvider] = {
    provider.name: provider for provider in (StripeProvider(), CreemProvider(), ZpayProvider())
}


def configured_providers() -> list[PaymentProvider]:
    return [provider for provider in PROVIDERS.values() if provider.is_configured()]


def get_provider(name: str) -> PaymentProvider:
    """The provider called `name`; KeyError if there is none."""
    return PROVIDERS[name]
