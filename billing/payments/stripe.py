"""Stripe Checkout: one-off payments in the platform currency.

Webhooks are verified by the official SDK on the raw body (HMAC-SHA256 of "{t}.{body}", 300 s
tolerance). https://docs.stripe.com/webhooks#verify-events
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import TopUpOrder
from billing.payments import (
    Action,
    Notification,
    ProviderError,
    Quote,
    WebhookError,
    filled_settings,
    from_minor_units,
    to_minor_units,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise
    from stripe.params.checkout import SessionCreateParamsLineItemPriceData

logger = logging.getLogger(__name__)

# Checkout Session events that carry a session, and what each one means for the order.
SESSION_EVENTS = {
    "checkout.session.completed": Action.CREDIT,
    "checkout.session.async_payment_succeeded": Action.CREDIT,
    "checkout.session.async_payment_failed": Action.FAIL,
}


class StripeProvider:
    name: str = TopUpOrder.Provider.STRIPE.value
    label: StrOrPromise = gettext_lazy("Stripe")
    secret_settings: tuple[str, ...] = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")

    def is_configured(self) -> bool:
        return len(filled_settings(self.secret_settings)) == len(self.secret_settings)

    @property
    def livemode(self) -> bool:
        # Secret and restricted keys name their mode: sk_live_..., rk_live_...
        return settings.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))

    def quote(self, amount: Decimal) -> Quote:
        currency = settings.PLATFORM_CURRENCY.upper()
        if amount <= 0:
            raise ValueError(_("Enter an amount greater than zero."))
        try:
            to_minor_units(amount, currency)
        except ValueError as error:
            raise ValueError(
                _("Stripe cannot charge fractions of the smallest unit of %(currency)s.")
                % {"currency": currency}
            ) from error
        return Quote(currency=currency, charged_amount=amount, exchange_rate=Decimal(1))

    def start_checkout(self, order: TopUpOrder, *, return_url: str, cancel_url: str) -> str:
        """Create a Checkout Session; sets the order's reference and mode, the caller saves."""
        reference = {"order_id": str(order.pk)}
        price_data: SessionCreateParamsLineItemPriceData = {
            "currency": order.currency.lower(),
            "unit_amount": to_minor_units(order.charged_amount, order.currency),
            "product_data": {"name": _("Tokengate balance top-up")},
        }
        try:
            session = api_client().v1.checkout.sessions.create(
                params={
                    "mode": "payment",
                    "line_items": [{"quantity": 1, "price_data": price_data}],
                    "client_reference_id": str(order.pk),
                    "metadata": reference,
                    # Refunds arrive as charge events: the charge inherits this metadata.
                    "payment_intent_data": {"metadata": reference},
                    "success_url": return_url,
                    "cancel_url": cancel_url,
                },
                options={"idempotency_key": f"tokengate-checkout-{order.pk}"},
            )
        except stripe.StripeError as error:
            logger.warning("Stripe refused a checkout for order %s: %s", order.pk, error)
            raise ProviderError(str(error)) from error
        if not session.url:
            raise ProviderError(f"Stripe returned no URL for session {session.id}.")
        order.provider_reference, order.livemode = session.id, self.livemode
        return session.url


def api_client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        http_client=stripe.HTTPXClient(timeout=20, allow_sync_methods=True),
    )


def read_notification(body: bytes, *, signature: str) -> Notification:
    """Verify a webhook with the SDK and reduce it to a Notification; WebhookError if invalid."""
    try:
        event = stripe.Webhook.construct_event(body, signature, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.SignatureVerificationError as error:
        raise WebhookError("invalid signature") from error
    except ValueError as error:
        raise WebhookError("malformed payload") from error
    try:
        return to_notification(event.id, event.type, event.livemode, event.data.object.to_dict())
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        raise WebhookError("malformed event") from error


def to_notification(event_id: str, kind: str, livemode: bool, obj: dict[str, Any]) -> Notification:
    if kind in SESSION_EVENTS:
        return session_notification(event_id, kind, livemode, obj)
    if kind == "charge.refunded":
        return refund_notification(event_id, kind, livemode, obj)
    return Notification(event_id=event_id, kind=kind, action=Action.IGNORE)


def session_notification(
    event_id: str, kind: str, livemode: bool, session: dict[str, Any]
) -> Notification:
    action = SESSION_EVENTS[kind]
    # A completed session of an asynchronous method (bank debit...) is not paid yet: its
    # async_payment_succeeded or _failed event follows.
    if action is Action.CREDIT and session["payment_status"] != "paid":
        action = Action.IGNORE
    metadata = session.get("metadata") or {}
    return Notification(
        event_id=event_id,
        kind=kind,
        action=action,
        order_id=metadata.get("order_id") or session.get("client_reference_id") or "",
        amount=from_minor_units(int(session["amount_total"]), session["currency"]),
        currency=session["currency"],
        livemode=livemode,
        provider_reference=session["id"],
    )


def refund_notification(
    event_id: str, kind: str, livemode: bool, charge: dict[str, Any]
) -> Notification:
    # charge.refunded also fires for partial refunds; those are settled by staff by hand.
    if not charge["refunded"]:
        logger.warning("Stripe event %s is a partial refund: not applied", event_id)
        return Notification(event_id=event_id, kind=kind, action=Action.IGNORE)
    metadata = charge.get("metadata") or {}
    order_id = metadata.get("order_id") or payment_intent_order_id(charge.get("payment_intent"))
    return Notification(
        event_id=event_id,
        kind=kind,
        action=Action.REFUND,
        order_id=order_id,
        currency=charge["currency"],
        livemode=livemode,
    )


def payment_intent_order_id(payment_intent: str | None) -> str:
    """The order id on a PaymentIntent, for a charge that did not inherit its metadata."""
    if not payment_intent:
        return ""
    try:
        intent = api_client().v1.payment_intents.retrieve(payment_intent)
    except stripe.StripeError as error:
        # Answering 503 makes Stripe deliver the event again later.
        raise WebhookError("Stripe API unavailable", status=503) from error
    metadata: dict[str, Any] = intent.to_dict().get("metadata") or {}
    return str(metadata.get("order_id", ""))
