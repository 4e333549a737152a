from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest

from accounts.models import User
from billing.models import Wallet
from billing.money import format_amount


def balance_notice(request: HttpRequest) -> dict[str, object]:
    """The console's low-balance warning: below the user's alert threshold, or nothing left."""
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {}
    wallet = Wallet.objects.filter(user_id=user.pk).first()
    balance = wallet.balance if wallet else 0
    threshold = wallet.low_balance_threshold if wallet else None
    is_low = balance <= 0 or (threshold is not None and balance < threshold)
    return {
        "low_balance": is_low,
        "notice_balance": Decimal(format_amount(balance)),
        "notice_currency": settings.PLATFORM_CURRENCY,
    }
