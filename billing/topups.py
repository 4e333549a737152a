"""Starting a top-up: the order is created first, then the browser goes to the provider."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from billing.models import TopUpOrder, Wallet
from billing.money import to_nanos
from billing.payments import get_provider


def start_topup(
    *, user: User, amount: Decimal, provider_name: str, url_for: Callable[[TopUpOrder], str]
) -> str:
    """Create a pending order for `amount` and return the provider's payment page URL.

    `url_for(order)` is where the provider sends the browser back: the order's status page,
    which only shows the status. Money is credited by the provider's signed webhook alone.
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
            last_topup_amount=amount, last_topup_provider=provider.name
        )
    return_url = url_for(order)
    checkout_url = provider.start_checkout(order, return_url=return_url, cancel_url=return_url)
    order.save(update_fields=["provider_reference", "livemode"])
    return checkout_url
