"""Billing emails to users, in their own language."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import Preferences, User
from billing.models import TopUpOrder, Wallet
from billing.money import format_amount


def send_in_user_language(user: User, template: str, context: dict[str, object]) -> None:
    language = Preferences.objects.for_user(user).language
    with translation.override(language):
        context = {"user": user, "currency": settings.PLATFORM_CURRENCY, **context}
        subject = render_to_string(f"billing/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"billing/email/{template}_message.txt", context)
    send_mail(subject, body, None, [user.email])


def send_payment_confirmation(order: TopUpOrder) -> None:
    wallet = Wallet.objects.for_user(order.user_id)
    send_in_user_language(
        order.user,
        "payment_confirmation",
        {
            "order": order,
            "credit": format_amount(order.credit_amount),
            "balance": format_amount(wallet.balance),
            "invoice_number": order.invoice.number,
        },
    )


def send_low_balance_alert(wallet: Wallet) -> None:
    threshold = wallet.low_balance_threshold or 0
    send_in_user_language(
        wallet.user,
        "low_balance",
        {"balance": format_amount(wallet.balance), "threshold": format_amount(threshold)},
    )
