from __future__ import annotations

import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from billing import ledger, notifications
from billing.models import TopUpOrder, Wallet

logger = logging.getLogger(__name__)


@shared_task
def expire_stale_holds() -> int:
    return ledger.expire_stale_holds()


@shared_task
def expire_abandoned_orders() -> int:
    return ledger.expire_abandoned_orders()


@shared_task
def reconcile_wallets() -> int:
    """Check every wallet against its ledger and open holds; alert Billing staff on a mismatch."""
    mismatches = ledger.find_mismatches()
    if mismatches:
        lines = [
            f"user {m.user_id}: balance {m.balance} vs ledger {m.ledger_sum}, "
            f"held {m.held} vs open holds {m.open_holds}"
            for m in mismatches
        ]
        logger.error("Wallet reconciliation found %d mismatches", len(mismatches))
        recipients = get_user_model().objects.filter(
            is_active=True, is_staff=True, groups__name="Billing"
        )
        send_mail(
            subject=f"[Tokengate] {len(mismatches)} wallet(s) do not match their ledger",
            message="\n".join(lines),
            from_email=None,
            recipient_list=list(recipients.values_list("email", flat=True)),
        )
    return len(mismatches)


@shared_task
def send_payment_confirmation(order_id: str) -> None:
    order = TopUpOrder.objects.select_related("user", "invoice").get(pk=order_id)
    notifications.send_payment_confirmation(order)


@shared_task
def send_low_balance_alert(user_id: int) -> None:
    notifications.send_low_balance_alert(Wallet.objects.select_related("user").get(pk=user_id))
