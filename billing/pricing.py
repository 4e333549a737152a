"""What a request costs: the model's price in force, the user's plan, and `money.cost_of`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from billing.models import Price, Wallet
from billing.money import Usage, cost_of


class UnpricedModel(Exception):
    """No price is in force for the model, so requests to it cannot be billed."""


def price_request(*, user_id: int, model: str, usage: Usage, at: datetime | None = None) -> int:
    """The cost in nano-units of `usage` of `model` for this user, at the price in force `at`."""
    price = Price.objects.current(model, at=at)
    if price is None:
        raise UnpricedModel(model)
    wallet = Wallet.objects.select_related("plan").filter(pk=user_id).first()
    multiplier = wallet.multiplier if wallet else Decimal(1)
    return cost_of(usage, price.rates, multiplier=multiplier)
