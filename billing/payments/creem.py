"""Creem: a product priced at 1.00 of the platform currency, bought in whole units.

Webhooks carry `creem-signature`, the hex HMAC-SHA256 of the raw body with the webhook secret,
and no timestamp: replays are stopped by event id and order state.
https://docs.creem.io/code/webhooks
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
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
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

LIVE_API = "https://api.creem.io"
TEST_API = "https://test-api.creem.io"
# Events carry the environment as "mode"; only "prod" is live ("test", "sandbox" are not).
LIVE_MODE = "prod"


class CreemProvider:
    name: str = TopUpOrder.Provider.CREEM.value
    label: StrOrPromise = gettext_lazy("Creem")
    secret_settings: tuple[str, ...] = ("CREEM_API_KEY", "CREEM_WEBHOOK_SECRET", "CREEM_PRODUCT_ID")

    def is_configured(self) -> bool:
        return len(filled_settings(self.secret_settings)) == len(self.secret_settings)

    @property
    def livemode(self) -> bool:
        return not settings.CREEM_TEST_MODE

    def quote(self, amount: Decimal) -> Quote:
        """Creem sells whole units of a product worth 1.00, so only whole amounts can be paid."""
        currency = settings.PLATFORM_CURRENCY.upper()
        if amount <= 0 or amount != amount.to_integral_value():
            raise ValueError(
                _("Creem accepts whole amounts only, such as 5 or 20 %(currency)s.")
                % {"currency": currency}
            )
        charged = amount.quantize(Decimal("0.01"))
        return Quote(currency=currency, charged_amount=charged, exchange_rate=Decimal(1))

    def start_checkout(self, order: TopUpOrder, *, return_url: str, cancel_url: str) -> str:
        """Create a checkout session; sets the order's reference and mode, the caller saves.

        Creem has no cancel page, so `cancel_url` is not used.
        """
        units = order.charged_amount
        if units != units.to_integral_value():
            raise ValueError(f"Order {order.pk} is not a whole number of Creem units.")
        payload = {
            "product_id": settings.CREEM_PRODUCT_ID,
            "units": int(units),
            "request_id": str(order.pk),
            "success_url": return_url,
            "metadata": {"order_id": str(order.pk)},
        }
        base = TEST_API if settings.CREEM_TEST_MODE else LIVE_API
        try:
            response = httpx.post(
                f"{base}/v1/checkouts",
                json=payload,
                headers={"x-api-key": settings.CREEM_API_KEY},
                timeout=20,
            )
            response.raise_for_status()
            checkout = response.json()
            checkout_id, checkout_url = str(checkout["id"]), str(checkout["checkout_url"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            logger.warning("Creem refused a checkout for order %s: %s", order.pk, error)
            raise ProviderError(str(error)) from error
        order.provider_reference, order.livemode = checkout_id, self.livemode
        return checkout_url


def read_notification(body: bytes, *, signature: str) -> Notification:
    """Verify a webhook's signature and reduce it to a Notification; WebhookError if invalid."""
    if not signature:
        raise WebhookError("missing signature")
    secret = settings.CREEM_WEBHOOK_SECRET.encode()
    expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise WebhookError("invalid signature")
    try:
        event = json.loads(body)
        return to_notification(str(event["id"]), str(event["eventType"]), event["object"])
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        raise WebhookError("malformed event") from error


def to_notification(event_id: str, kind: str, obj: dict[str, Any]) -> Notification:
    if kind == "checkout.completed":
        return checkout_notification(event_id, kind, obj)
    if kind == "refund.created":
        return refund_notification(event_id, kind, obj)
    return Notification(event_id=event_id, kind=kind, action=Action.IGNORE)


def checkout_notification(event_id: str, kind: str, checkout: dict[str, Any]) -> Notification:
    order = checkout["order"]
    return Notification(
        event_id=event_id,
        kind=kind,
        action=Action.CREDIT if order["status"] == "paid" else Action.IGNORE,
        order_id=checkout_order_id(checkout),
        amount=from_minor_units(int(order["amount"]), order["currency"]),
        currency=order["currency"],
        livemode=checkout["mode"] == LIVE_MODE,
        provider_reference=str(checkout["id"]),
    )


def refund_notification(event_id: str, kind: str, refund: dict[str, Any]) -> Notification:
    transaction = refund["transaction"]
    full = transaction["refunded_amount"] >= transaction["amount_paid"]
    # A partial refund leaves part of the payment; staff settle those by hand.
    if refund["status"] != "succeeded" or not full:
        logger.warning("Creem event %s is not a full refund: not applied", event_id)
        return Notification(event_id=event_id, kind=kind, action=Action.IGNORE)
    # The checkout may be expanded (with our request_id) or only its id, our provider reference.
    checkout = refund.get("checkout") or ""
    if isinstance(checkout, dict):
        order_id, reference = checkout_order_id(checkout), str(checkout["id"])
    else:
        order_id, reference = "", str(checkout)
    return Notification(
        event_id=event_id,
        kind=kind,
        action=Action.REFUND,
        order_id=order_id,
        currency=refund["refund_currency"],
        livemode=refund["mode"] == LIVE_MODE,
        provider_reference=reference,
    )


def checkout_order_id(checkout: dict[str, Any]) -> str:
    metadata = checkout.get("metadata") or {}
    return str(checkout.get("request_id") or metadata.get("order_id") or "")
