"""Starting a top-up: the order is created first, then the browser goes to the provider."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from accounts.models import User
from billing.models import TopUpOrder, Wallet
from billing.money import to_nanos
from billing.payments import Quote, configured_providers, get_provider
from billing.payments.zpay import ZpayProvider

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def start_topup(
    *,
    user: User,
    amount: Decimal,
    provider_name: str,
    url_for: Callable[[TopUpOrder], str],
    method: str = "",
) -> str:
    """Create a pending order for `amount` and return the provider's payment page URL.

    `url_for(order)` is where the provider sends the browser back: the order's status page,
    which only shows the status. Money is credited by the provider's signed webhook alone.
    `method` is the payment method for a provider that asks for one (ZPAY: alipay or wxpay);
    the choice is remembered as "<provider>:<method>", the console's value for it.
    """
    provider = get_provider(provider_name)
    quote = provider.quote(amount)
    with transaction.atomic():
        order = TopUpOrder.objects.create(
            user=user,
            provider=provider.name,
            credit_amount=to_nanos(amount),
            currency=quote.currency,
            charged_amount=quote.charged_amount,
            exchange_rate=quote.exchange_rate,
        )
        Wallet.objects.for_user(user.pk)
        Wallet.objects.filter(pk=user.pk).update(
            last_topup_amount=amount,
            last_topup_provider=f"{provider.name}:{method}" if method else provider.name,
        )
    return_url = url_for(order)
    if isinstance(provider, ZpayProvider) and method:
        checkout_url = provider.start_checkout(
            order, return_url=return_url, cancel_url=return_url, method=method
        )
    else:
        checkout_url = provider.start_checkout(order, return_url=return_url, cancel_url=return_url)
    order.save(update_fields=["provider_reference", "livemode"])
    return checkout_url


def charge_terms() -> list[tuple[StrOrPromise, Quote]]:
    """Each configured provider's label and what one unit of the platform currency costs there."""
    return [(provider.label, provider.quote(Decimal(1))) for provider in configured_providers()]
