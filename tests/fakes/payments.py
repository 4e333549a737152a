"""Payment providers as the outside world: their payloads, signed with their own algorithms.

The signing here is written from the providers' documentation, independently of
`billing.payments`, so a test passes only if production verifies what the provider sends.
Payloads come from the JSON fixtures in tests/fixtures/payments/, adjusted to one order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

from billing.models import LedgerEntry, TopUpOrder, WebhookEvent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "payments"

STRIPE_SECRET_KEY = "sk_test_51TokengateFakeKey"
STRIPE_WEBHOOK_SECRET = "whsec_tokengate_test_secret"
CREEM_API_KEY = "creem_test_1TokengateFakeKey"
CREEM_WEBHOOK_SECRET = "whsec_creem_tokengate_test"
CREEM_PRODUCT_ID = "prod_d1AY2Sadk9YAvLI0pj97f"
ZPAY_PID = "1001"
ZPAY_KEY = "zpay-tokengate-test-key"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def cents(order: TopUpOrder) -> int:
    return int(order.charged_amount * 100)


# Stripe: header `t=<unix>,v1=<hex HMAC-SHA256 of "{t}.{body}">`.
# https://docs.stripe.com/webhooks#verify-manually


def stripe_signature(
    body: bytes, *, secret: str = STRIPE_WEBHOOK_SECRET, at: int | None = None
) -> str:
    timestamp = int(time.time()) if at is None else at
    signed = f"{timestamp}.".encode() + body
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def stripe_session_event(
    order: TopUpOrder, *, kind: str = "checkout.session.completed", **session: Any
) -> dict[str, Any]:
    """A Checkout Session event for `order`, as Stripe sends it; `session` overrides fields."""
    event = load(f"stripe_{kind.replace('.', '_')}")
    event["livemode"] = order.livemode
    event["data"]["object"].update(
        {
            "client_reference_id": str(order.pk),
            "metadata": {"order_id": str(order.pk)},
            "amount_subtotal": cents(order),
            "amount_total": cents(order),
            "currency": order.currency.lower(),
            "livemode": order.livemode,
            **session,
        }
    )
    return event


def stripe_refund_event(order: TopUpOrder, **charge: Any) -> dict[str, Any]:
    """A charge.refunded event for the payment of `order`; `charge` overrides fields."""
    event = load("stripe_charge_refunded")
    event["livemode"] = order.livemode
    event["data"]["object"].update(
        {
            "amount": cents(order),
            "amount_captured": cents(order),
            "amount_refunded": cents(order),
            "currency": order.currency.lower(),
            "metadata": {"order_id": str(order.pk)},
            "livemode": order.livemode,
            **charge,
        }
    )
    return event


# Creem: header `creem-signature`, the hex HMAC-SHA256 of the raw body.
# https://docs.creem.io/code/webhooks


def creem_signature(body: bytes, *, secret: str = CREEM_WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def creem_mode(order: TopUpOrder) -> str:
    return "prod" if order.livemode else "test"


def creem_checkout_event(order: TopUpOrder, **order_fields: Any) -> dict[str, Any]:
    """A checkout.completed event for `order`; `order_fields` override Creem's order."""
    event = load("creem_checkout_completed")
    checkout = event["object"]
    checkout.update(
        request_id=str(order.pk),
        metadata={"order_id": str(order.pk)},
        units=int(order.charged_amount),
        mode=creem_mode(order),
    )
    checkout["order"].update(
        {
            "amount": cents(order),
            "currency": order.currency,
            "mode": creem_mode(order),
            **order_fields,
        }
    )
    return event


def creem_refund_event(order: TopUpOrder, **refund: Any) -> dict[str, Any]:
    """A refund.created event for the whole payment of `order`; `refund` overrides fields."""
    event = load("creem_refund_created")
    obj = event["object"]
    obj["checkout"].update(request_id=str(order.pk), metadata={"order_id": str(order.pk)})
    obj["transaction"].update(
        amount=cents(order), amount_paid=cents(order), refunded_amount=cents(order)
    )
    obj.update(
        {
            "refund_amount": cents(order),
            "refund_currency": order.currency,
            "mode": creem_mode(order),
            **refund,
        }
    )
    return event


# ZPAY (epay): MD5 of the sorted non-empty parameters (but sign and sign_type) and the key.
# https://z-pay.cn/doc.html


def zpay_sign(params: dict[str, str], *, key: str = ZPAY_KEY) -> str:
    pairs = sorted(
        (name, value)
        for name, value in params.items()
        if value and name not in {"sign", "sign_type"}
    )
    text = "&".join(f"{name}={value}" for name, value in pairs)
    return hashlib.md5((text + key).encode()).hexdigest()  # noqa: S324 (the protocol's hash)


def zpay_notify(order: TopUpOrder, *, key: str = ZPAY_KEY, **fields: str) -> dict[str, str]:
    """The signed notify parameters ZPAY sends when `order` is paid; `fields` override."""
    params = load("zpay_notify")
    params.update({"out_trade_no": order.pk.hex, "money": f"{order.charged_amount:.2f}", **fields})
    params["sign"] = zpay_sign(params, key=key)
    return params


def count_topups() -> int:
    return LedgerEntry.objects.filter(kind=LedgerEntry.Kind.TOPUP).count()


def assert_not_credited(order: TopUpOrder) -> None:
    """The order is still pending and no money or event was recorded for it."""
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.PENDING
    assert count_topups() == 0
    assert not WebhookEvent.objects.exists()
