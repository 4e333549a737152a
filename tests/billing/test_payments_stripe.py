"""Stripe: Checkout Sessions, and webhooks that credit, fail and refund orders exactly once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from django.db import connection
from django.test import Client

from accounts.models import User
from billing.models import Invoice, LedgerEntry, TopUpOrder, Wallet, WebhookEvent
from billing.money import to_nanos
from billing.payments import ProviderError, get_provider
from tests.fakes import payments as fake

pytestmark = pytest.mark.django_db

URL = "/billing/webhooks/stripe/"
SESSIONS_API = "https://api.stripe.com/v1/checkout/sessions"


@pytest.fixture(autouse=True)
def _stripe(settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = fake.STRIPE_SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = fake.STRIPE_WEBHOOK_SECRET
    settings.PLATFORM_CURRENCY = "USD"


def make_order(user: User, **fields: Any) -> TopUpOrder:
    values: dict[str, Any] = {
        "provider": TopUpOrder.Provider.STRIPE,
        "credit_amount": to_nanos("20"),
        "currency": "USD",
        "charged_amount": Decimal("20.00"),
        "livemode": False,
    }
    return TopUpOrder.objects.create(user=user, **{**values, **fields})


def post(client: Client, event: dict[str, Any] | bytes, **headers: str) -> Any:
    body = event if isinstance(event, bytes) else fake.encode(event)
    headers.setdefault("Stripe-Signature", fake.stripe_signature(body))
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def test_a_paid_checkout_credits_the_wallet_once(client: Client, user: User):
    order = make_order(user)

    response = post(client, fake.stripe_session_event(order))

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.PAID
    assert order.provider_reference == "cs_test_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ"
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.TOPUP)
    assert (entry.order, entry.amount) == (order, order.credit_amount)
    assert Wallet.objects.get(pk=user.pk).balance == order.credit_amount
    assert Invoice.objects.filter(order=order).exists()
    assert WebhookEvent.objects.get().event_id == "evt_1QvZKcFz3kQdV2rL8yJtQpWm"


def test_the_same_event_replayed_20_times_credits_once(client: Client, user: User):
    order = make_order(user)
    body = fake.encode(fake.stripe_session_event(order))

    statuses = {post(client, body).status_code for _ in range(20)}

    assert statuses == {200}
    assert fake.count_topups() == 1
    assert Wallet.objects.get(pk=user.pk).balance == order.credit_amount


def test_the_confirmation_email_goes_out_after_the_credit_commits(
    client: Client, user: User, django_capture_on_commit_callbacks: Callable, mailoutbox: list
):
    order = make_order(user)

    with django_capture_on_commit_callbacks(execute=True):
        post(client, fake.stripe_session_event(order))

    assert [message.to for message in mailoutbox] == [[user.email]]


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(lambda body: fake.stripe_signature(body, secret="whsec_other"), id="bad"),
        pytest.param(lambda body: "", id="missing"),
        pytest.param(lambda body: "t=1,v0=abc", id="no-v1"),
        pytest.param(lambda body: "garbage", id="unparsable"),
    ],
)
def test_a_bad_or_missing_signature_is_refused(
    client: Client, user: User, signature: Callable[[bytes], str]
):
    order = make_order(user)
    body = fake.encode(fake.stripe_session_event(order))

    response = post(client, body, **{"Stripe-Signature": signature(body)})

    assert response.status_code == 400
    assert response.content == b"invalid signature"
    fake.assert_not_credited(order)


def test_one_altered_byte_breaks_the_signature(client: Client, user: User):
    order = make_order(user)
    body = fake.encode(fake.stripe_session_event(order))
    signature = fake.stripe_signature(body)
    altered = bytearray(body)
    altered[body.index(b'"amount_total": 2000') + len('"amount_total": ')] = ord("9")

    response = post(client, bytes(altered), **{"Stripe-Signature": signature})

    assert response.status_code == 400
    fake.assert_not_credited(order)


def test_a_signature_older_than_five_minutes_is_refused(client: Client, user: User):
    order = make_order(user)
    body = fake.encode(fake.stripe_session_event(order))
    stale = fake.stripe_signature(body, at=int(time.time()) - 301)

    response = post(client, body, **{"Stripe-Signature": stale})

    assert response.status_code == 400
    fake.assert_not_credited(order)


def test_an_empty_webhook_secret_turns_the_endpoint_off(client: Client, user: User, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    order = make_order(user)
    body = fake.encode(fake.stripe_session_event(order))

    response = post(client, body, **{"Stripe-Signature": fake.stripe_signature(body, secret="")})

    assert response.status_code == 404
    fake.assert_not_credited(order)


@pytest.mark.parametrize(
    ("session", "reason"),
    [
        ({"amount_total": 1999}, b"amount does not match the order"),
        ({"currency": "eur"}, b"currency does not match the order"),
    ],
)
def test_an_event_that_does_not_match_the_order_is_refused(
    client: Client, user: User, session: dict[str, Any], reason: bytes
):
    order = make_order(user)

    response = post(client, fake.stripe_session_event(order, **session))

    assert (response.status_code, response.content) == (400, reason)
    fake.assert_not_credited(order)


def test_an_order_made_for_another_provider_is_not_credited(client: Client, user: User):
    order = make_order(user, provider=TopUpOrder.Provider.CREEM)

    response = post(client, fake.stripe_session_event(order))

    assert (response.status_code, response.content) == (400, b"order belongs to another provider")
    fake.assert_not_credited(order)


def test_an_event_for_an_unknown_order_is_refused(client: Client, user: User):
    order = make_order(user)
    event = fake.stripe_session_event(order, metadata={}, client_reference_id="not-an-order")

    response = post(client, event)

    assert (response.status_code, response.content) == (400, b"unknown order")
    fake.assert_not_credited(order)


def test_a_test_mode_event_never_credits_a_live_order(client: Client, user: User):
    order = make_order(user, livemode=True)
    event = fake.stripe_session_event(order)
    event["livemode"] = False

    response = post(client, event)

    assert response.status_code == 400
    fake.assert_not_credited(order)


def test_a_refused_event_is_acted_on_when_delivered_again_correctly(client: Client, user: User):
    order = make_order(user, livemode=True)
    event = fake.stripe_session_event(order)
    post(client, {**event, "livemode": False})

    response = post(client, event)

    assert response.status_code == 200
    assert fake.count_topups() == 1


def test_a_late_payment_for_an_expired_order_is_credited(client: Client, user: User):
    order = make_order(user, status=TopUpOrder.Status.EXPIRED)

    response = post(client, fake.stripe_session_event(order))

    assert response.status_code == 200
    assert fake.count_topups() == 1
    assert Wallet.objects.get(pk=user.pk).balance == order.credit_amount


def test_a_payment_for_a_failed_order_is_not_credited_and_is_flagged(
    client: Client, user: User, caplog: pytest.LogCaptureFixture
):
    order = make_order(user, status=TopUpOrder.Status.FAILED)

    response = post(client, fake.stripe_session_event(order))

    assert response.status_code == 200
    assert fake.count_topups() == 0
    assert f"received for order {order.pk}, which is failed" in caplog.text


def test_an_unpaid_completed_session_is_acknowledged_and_waits(client: Client, user: User):
    order = make_order(user)

    response = post(client, fake.stripe_session_event(order, payment_status="unpaid"))

    assert response.status_code == 200
    fake.assert_not_credited(order)


def test_an_asynchronous_payment_that_succeeds_credits_the_order(client: Client, user: User):
    order = make_order(user)
    post(client, fake.stripe_session_event(order, payment_status="unpaid"))

    kind = "checkout.session.async_payment_succeeded"
    response = post(client, fake.stripe_session_event(order, kind=kind))

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.PAID
    assert fake.count_topups() == 1


def test_an_asynchronous_payment_that_fails_marks_the_order_failed(client: Client, user: User):
    order = make_order(user)

    kind = "checkout.session.async_payment_failed"
    response = post(client, fake.stripe_session_event(order, kind=kind))

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.FAILED
    assert fake.count_topups() == 0


def test_an_unknown_event_type_is_acknowledged_and_ignored(client: Client, user: User):
    order = make_order(user)
    event = {**fake.stripe_session_event(order), "type": "customer.created"}

    response = post(client, event)

    assert response.status_code == 200
    fake.assert_not_credited(order)


def test_an_oversized_body_is_refused_before_it_is_read(client: Client, user: User, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 1024
    order = make_order(user)
    event = fake.stripe_session_event(order, description="x" * 1024)

    response = post(client, event)

    assert response.status_code == 413
    fake.assert_not_credited(order)


def test_only_post_is_accepted(client: Client):
    assert client.get(URL).status_code == 405


def test_a_refund_takes_the_credit_back_once(client: Client, user: User):
    order = make_order(user)
    post(client, fake.stripe_session_event(order))
    body = fake.encode(fake.stripe_refund_event(order))

    statuses = {post(client, body).status_code for _ in range(20)}

    assert statuses == {200}
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.REFUNDED
    refund = LedgerEntry.objects.get(kind=LedgerEntry.Kind.REFUND)
    assert (refund.amount, refund.actor, refund.reason) == (
        -order.credit_amount,
        None,
        "Refunded in Stripe",
    )
    assert Wallet.objects.get(pk=user.pk).balance == 0


def test_a_refund_finds_its_order_through_the_payment_intent(client: Client, user: User):
    order = make_order(user)
    post(client, fake.stripe_session_event(order))
    intent = {**fake.load("stripe_payment_intent"), "metadata": {"order_id": str(order.pk)}}

    with respx.mock(assert_all_called=True) as stripe_api:
        stripe_api.get(
            "https://api.stripe.com/v1/payment_intents/pi_3QvZKaFz3kQdV2rL0b1c2d3e"
        ).respond(200, json=intent)
        response = post(client, fake.stripe_refund_event(order, metadata={}))

    assert response.status_code == 200
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND).count() == 1


def test_a_refund_that_arrives_before_the_payment_is_applied_on_retry(client: Client, user: User):
    order = make_order(user)
    refund = fake.stripe_refund_event(order)

    early = post(client, refund)
    post(client, fake.stripe_session_event(order))
    retried = post(client, refund)

    assert (early.status_code, retried.status_code) == (409, 200)
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.REFUNDED


def test_a_partial_refund_is_acknowledged_but_not_applied(client: Client, user: User):
    order = make_order(user)
    post(client, fake.stripe_session_event(order))

    response = post(client, fake.stripe_refund_event(order, refunded=False, amount_refunded=500))

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.PAID
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND).exists()


def test_checkout_creates_a_session_that_names_the_order(user: User):
    order = make_order(user, charged_amount=Decimal("12.34"))
    created = fake.load("stripe_checkout_session_created")
    return_url = f"https://tokengate.example/billing/orders/{order.pk}/"

    with respx.mock(assert_all_called=True) as stripe_api:
        route = stripe_api.post(SESSIONS_API).respond(200, json=created)
        url = get_provider("stripe").start_checkout(
            order, return_url=return_url, cancel_url=return_url + "?cancelled=1"
        )

    assert url == created["url"]
    assert (order.provider_reference, order.livemode) == (created["id"], False)
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {fake.STRIPE_SECRET_KEY}"
    assert request.headers["Idempotency-Key"] == f"tokengate-checkout-{order.pk}"
    assert {key: values[0] for key, values in parse_qs(request.content.decode()).items()} == {
        "mode": "payment",
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "1234",
        "line_items[0][price_data][product_data][name]": "Tokengate balance top-up",
        "client_reference_id": str(order.pk),
        "metadata[order_id]": str(order.pk),
        "payment_intent_data[metadata][order_id]": str(order.pk),
        "success_url": return_url,
        "cancel_url": return_url + "?cancelled=1",
    }


@pytest.mark.parametrize("key", ["sk_live_51TokengateFakeKey", "rk_live_51TokengateFakeKey"])
def test_a_live_key_makes_live_orders(user: User, settings, key: str):
    settings.STRIPE_SECRET_KEY = key
    order = make_order(user)

    with respx.mock() as stripe_api:
        stripe_api.post(SESSIONS_API).respond(
            200, json=fake.load("stripe_checkout_session_created")
        )
        get_provider("stripe").start_checkout(
            order, return_url="https://t.example/", cancel_url="https://t.example/"
        )

    assert order.livemode is True


def test_a_refused_checkout_raises_a_provider_error(user: User):
    order = make_order(user)
    error = {"error": {"type": "invalid_request_error", "message": "Invalid currency: usx"}}

    with respx.mock() as stripe_api, pytest.raises(ProviderError):
        stripe_api.post(SESSIONS_API).mock(return_value=httpx.Response(400, json=error))
        get_provider("stripe").start_checkout(
            order, return_url="https://t.example/", cancel_url="https://t.example/"
        )

    assert order.provider_reference == ""


def test_quotes_are_in_the_platform_currency_to_the_cent(settings):
    stripe = get_provider("stripe")

    quote = stripe.quote(Decimal("12.50"))

    assert (quote.currency, quote.charged_amount, quote.exchange_rate) == (
        "USD",
        Decimal("12.50"),
        1,
    )
    with pytest.raises(ValueError, match="fractions"):
        stripe.quote(Decimal("12.505"))
    settings.PLATFORM_CURRENCY = "JPY"
    with pytest.raises(ValueError, match="fractions"):
        stripe.quote(Decimal("100.5"))


def test_zero_decimal_currencies_are_charged_in_whole_units(user: User, settings):
    settings.PLATFORM_CURRENCY = "JPY"
    order = make_order(user, currency="JPY", charged_amount=Decimal("1500"))

    with respx.mock() as stripe_api:
        route = stripe_api.post(SESSIONS_API).respond(
            200, json=fake.load("stripe_checkout_session_created")
        )
        get_provider("stripe").start_checkout(
            order, return_url="https://t.example/", cancel_url="https://t.example/"
        )

    assert (
        "line_items[0][price_data][unit_amount]=1500" in route.calls.last.request.content.decode()
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_deliveries_credit_once(make_user: Callable[..., User]):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks and concurrent transactions need PostgreSQL.")
    order = make_order(make_user())
    body = fake.encode(fake.stripe_session_event(order))
    statuses: list[int] = []
    start = threading.Barrier(20)

    def deliver() -> None:
        try:
            start.wait()
            statuses.append(post(Client(), body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 20
    assert fake.count_topups() == 1
    assert WebhookEvent.objects.count() == 1
    assert json.loads(body)["id"] == WebhookEvent.objects.get().event_id
