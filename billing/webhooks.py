"""Payment webhooks: verify, dedupe, check, act. The only way a payment reaches a wallet.

1. Verify: the provider module checks the signature on the raw request and reads the event
   into a `Notification`; an unconfigured provider answers 404 and verifies nothing.
2. Dedupe: a `WebhookEvent` row per (provider, event id), inserted in the same transaction
   as the credit, so a replay (or a concurrent delivery) finds it and moves no money.
3. Check: the order exists, belongs to this provider, and matches the amount, currency and
   test/live mode the provider reports. A failed check rolls the transaction back and
   answers 4xx, so nothing is recorded.
4. Act: `ledger.credit_paid_order` or `ledger.refund_order`, both atomic and idempotent.

Logs name the event id, type and order, never the payload.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from billing import ledger
from billing.models import TopUpOrder, WebhookEvent
from billing.payments import Action, Notification, WebhookError, creem, get_provider, zpay
from billing.payments import stripe as stripe_payments

logger = logging.getLogger(__name__)

# The length of WebhookEvent.event_id: a longer id would fail the insert on PostgreSQL.
EVENT_ID_MAX_LENGTH = 255


def process_notification(*, provider: str, notification: Notification) -> str:
    """Act once on a verified notification; returns what happened, for the log.

    Raises WebhookError when the checks fail; nothing is recorded then, so a corrected
    delivery (or a retry once the order is paid, for a refund) is still acted on.
    """
    if notification.action is Action.IGNORE:
        return "ignored"
    if not 0 < len(notification.event_id) <= EVENT_ID_MAX_LENGTH:
        raise WebhookError("malformed event id")
    with transaction.atomic():
        found = find_order(provider=provider, notification=notification)
        if not record_event(provider=provider, notification=notification, order=found):
            return "replayed"
        order = check_order(found, provider=provider, notification=notification)
        return act(order, provider=provider, notification=notification)


def find_order(*, provider: str, notification: Notification) -> TopUpOrder | None:
    if notification.order_id:
        try:
            order_id = uuid.UUID(notification.order_id)
        except ValueError:
            return None
        return TopUpOrder.objects.filter(pk=order_id).first()
    if notification.provider_reference:
        orders = TopUpOrder.objects.filter(provider=provider)
        return orders.filter(provider_reference=notification.provider_reference).first()
    return None


def record_event(*, provider: str, notification: Notification, order: TopUpOrder | None) -> bool:
    """Insert the event's row; False if it was already there (a replay)."""
    try:
        # A savepoint: a concurrent delivery of the same event waits here for the first one
        # to commit (PostgreSQL) and then fails on the unique constraint.
        with transaction.atomic():
            WebhookEvent.objects.create(
                provider=provider,
                event_id=notification.event_id,
                kind=notification.kind[:100],
                order=order,
            )
    except IntegrityError:
        return False
    return True


def check_order(
    order: TopUpOrder | None, *, provider: str, notification: Notification
) -> TopUpOrder:
    """The order, if the notification may act on it; WebhookError otherwise."""
    if order is None:
        raise WebhookError("unknown order")
    if order.provider != provider:
        raise WebhookError("order belongs to another provider")
    if notification.livemode is not None and notification.livemode != order.livemode:
        raise WebhookError("test/live mode does not match the order")
    if notification.currency and notification.currency.upper() != order.currency.upper():
        raise WebhookError("currency does not match the order")
    if notification.amount is not None and notification.amount != order.charged_amount:
        raise WebhookError("amount does not match the order")
    return order


def act(order: TopUpOrder, *, provider: str, notification: Notification) -> str:
    if notification.action is Action.CREDIT:
        return credit(order, notification=notification)
    if notification.action is Action.FAIL:
        pending = TopUpOrder.objects.filter(pk=order.pk, status=TopUpOrder.Status.PENDING)
        return "failed" if pending.update(status=TopUpOrder.Status.FAILED) else "not pending"
    try:
        ledger.refund_order(
            order_id=str(order.pk),
            actor_id=None,
            reason=f"Refunded in {TopUpOrder.Provider(provider).label}",
        )
    except ledger.BillingError as error:
        # Deliveries come out of order: a refund may beat the payment. 409 makes the provider
        # retry later; the refund is not recorded, so the retry is acted on.
        raise WebhookError("order is not paid", status=409) from error
    return "refunded"


def credit(order: TopUpOrder, *, notification: Notification) -> str:
    credited = ledger.credit_paid_order(
        order_id=str(order.pk), provider_reference=notification.provider_reference
    )
    if credited:
        return "credited"
    order.refresh_from_db(fields=["status", "provider_reference"])
    paid_before = order.status == TopUpOrder.Status.PAID
    if not paid_before or order.provider_reference != notification.provider_reference:
        # Money arrived for an order that is not expecting it (expired, failed, or paid by
        # another payment): it was not credited, so staff must settle it with the customer.
        logger.error(
            "Payment %s received for order %s, which is %s (by %s): not credited",
            notification.event_id,
            order.pk,
            order.status,
            order.provider_reference,
        )
    return "already settled"


# Views: thin wrappers that read the request for one provider and answer plainly.


def receive(
    request: HttpRequest, *, provider: str, read: Callable[[HttpRequest], Notification]
) -> HttpResponse:
    if not get_provider(provider).is_configured():
        return plain("not found", status=404)
    if too_large(request):
        return plain("payload too large", status=413)
    try:
        notification = read(request)
        outcome = process_notification(provider=provider, notification=notification)
    except WebhookError as error:
        logger.warning("Webhook %s refused: %s", provider, error.reason)
        return plain(error.reason, status=error.status)
    logger.info(
        "Webhook %s event %s (%s) for order %s: %s",
        provider,
        notification.event_id,
        notification.kind,
        notification.order_id,
        outcome,
    )
    # ZPAY retries until it reads this exact word.
    return plain("success" if provider == TopUpOrder.Provider.ZPAY else "ok")


def too_large(request: HttpRequest) -> bool:
    """Whether the body (or a GET's query) exceeds the limit, checked before it is read."""
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    if declared > limit or len(request.META.get("QUERY_STRING", "")) > limit:
        return True
    return len(request.body) > limit


def plain(text: str, *, status: int = 200) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def read_stripe(request: HttpRequest) -> Notification:
    signature = request.headers.get("Stripe-Signature", "")
    return stripe_payments.read_notification(request.body, signature=signature)


def read_creem(request: HttpRequest) -> Notification:
    signature = request.headers.get("creem-signature", "")
    return creem.read_notification(request.body, signature=signature)


def read_zpay(request: HttpRequest) -> Notification:
    params = request.GET if request.method == "GET" else request.POST
    return zpay.read_notification(params.dict())


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    return receive(request, provider=TopUpOrder.Provider.STRIPE, read=read_stripe)


@csrf_exempt
@require_POST
def creem_webhook(request: HttpRequest) -> HttpResponse:
    return receive(request, provider=TopUpOrder.Provider.CREEM, read=read_creem)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def zpay_notify(request: HttpRequest) -> HttpResponse:
    return receive(request, provider=TopUpOrder.Provider.ZPAY, read=read_zpay)
