"""Creem: checkouts for whole units, and webhooks that credit and refund orders exactly once."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

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

URL = "/billing/webhooks/creem/"


@pytest.fixture(autouse=True)
def _creem(settings: Any) -> None:
    settings.CREEM_API_KEY = fake.CREEM_API_KEY
    settings.CREEM_WEBHOOK_SECRET = fake.CREEM_WEBHOOK_SECRET
    settings.CREEM_PRODUCT_ID = fake.CREEM_PRODUCT_ID
    settings.CREEM_TEST_MODE = True
    settings.PLATFORM_CURRENCY = "USD"


def make_order(user: User, **fields: Any) -> TopUpOrder:
    values: dict[str, Any] = {
        "provider": TopUpOrder.Provider.CREEM,
        "credit_amount": to_nanos("20"),
        "currency": "USD",
        "charged_amount": Decimal("20.00"),
        "livemode": False,
    }
    return TopUpOrder.objects.create(user=user, **{**values, **fields})


def post(client: Client, event: dict[str, Any] | bytes, **headers: str) -> Any:
    body = event if isinstance(event, bytes) else fake.encode(event)
    headers.setdefault("creem-signature", fake.creem_signature(body))
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def test_a_completed_checkout_credits_the_wallet_once(client: Client, user: User):
    order = make_order(user)

    response = post(client, fake.creem_checkout_event(order))

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.PAID
    assert order.provider_reference == "ch_4l0N34kxo16AhRKUHFUuXr"
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.TOPUP)
    assert (entry.order, entry.amount) == (order, order.credit_amount)
    assert Wallet.objects.get(pk=user.pk).balance == order.credit_amount
    assert Invoice.objects.filter(order=order).exists()
    assert WebhookEvent.objects.get().event_id == "evt_5WHHcZPv7VS0YUsberIuOz"


def test_the_same_event_replayed_20_times_credits_once(client: Client, user: User):
    order = make_order(user)
    body = fake.encode(fake.creem_checkout_event(order))

    statuses = {post(client, body).status_code for _ in range(20)}

    assert statuses == {200}
    assert fake.count_topups() == 1
    assert Wallet.objects.get(pk=user.pk).balance == order.credit_amount


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (lambda body: fake.creem_signature(body, secret="whsec_other"), b"invalid signature"),
        (lambda body: fake.creem_signature(body).upper() + "00", b"invalid signature"),
        (lambda body: "", b"missing signature"),
    ],
    ids=["bad", "malformed", "missing"],
)
def test_a_bad_or_missing_signature_is_refused(
    client: Client, user: User, signature: Callable[[bytes], str], reason: bytes
):
    order = make_order(user)
    body = fake.encode(fake.creem_checkout_event(order))

    response = post(client, body, **{"creem-signature": signature(body)})

    assert (response.status_code, response.content) == (400, reason)
    fake.assert_not_credited(order)


def test_one_altered_byte_breaks_the_signature(client: Client, user: User):
    order = make_order(user)
    body = fake.encode(fake.creem_checkout_event(order))
    signature = fake.creem_signature(body)
    altered = bytearray(body)
    altered[body.index(b'"amount": 2000') + len('"amount": ')] = ord("9")

    response = post(client, bytes(altered), **{"creem-signature": signature})

    assert response.status_code == 400
    fake.assert_not_credited(order)


@pytest.mark.parametrize("secret", ["CREEM_WEBHOOK_SECRET", "CREEM_API_KEY", "CREEM_PRODUCT_ID"])
def test_any_empty_secret_turns_the_endpoint_off(client: Client, user: User, settings, secret: str):
    setattr(settings, secret, "")
    order = make_order(user)
    body = fake.encode(fake.creem_checkout_event(order))

    response = post(client, body, **{"creem-signature": fake.creem_signature(body, secret="")})

    assert response.status_code == 404
    fake.assert_not_credited(order)


@pytest.mark.parametrize(
    ("order_fields", "reason"),
    [
        ({"amount": 1900}, b"amount does not match the order"),
        ({"currency": "EUR"}, b"currency does not match the order"),
    ],
)
def test_an_event_that_does_not_match_the_order_is_refused(
    client: Client, user: User, order_fields: dict[str, Any], reason: bytes
):
    order = make_order(user)

    response = post(client, fake.creem_checkout_event(order, **order_fields))

    assert (response.status_code, response.content) == (400, reason)
    fake.assert_not_credited(order)


def test_an_order_made_for_another_provider_is_not_credited(client: Client, user: User):
    order = make_order(user, provider=TopUpOrder.Provider.STRIPE)

    response = post(client, fake.creem_checkout_event(order))

    assert (response.status_code, response.content) == (400, b"order belongs to another provider")
    fake.assert_not_credited(order)


@pytest.mark.parametrize("mode", ["test", "sandbox"])
def test_a_test_mode_event_never_credits_a_live_order(client: Client, user: User, mode: str):
    order = make_order(user, livemode=True)
    event = fake.creem_checkout_event(order)
    event["object"]["mode"] = mode

    response = post(client, event)

    assert (response.status_code, response.content) == (
        400,
        b"test/live mode does not match the order",
    )
    fake.assert_not_credited(order)


def test_a_live_event_does_not_credit_a_test_order(client: Client, user: User):
    order = make_order(user, livemode=False)
    event = fake.creem_checkout_event(order)
    event["object"]["mode"] = "prod"

    response = post(client, event)

    assert response.status_code == 400
    fake.assert_not_credited(order)


def test_a_checkout_whose_order_is_not_paid_is_acknowledged_and_ignored(client: Client, user: User):
    order = make_order(user)

    response = post(client, fake.creem_checkout_event(order, status="pending"))

    assert response.status_code == 200
    fake.assert_not_credited(order)


def test_other_event_types_are_acknowledged_and_ignored(client: Client, user: User):
    order = make_order(user)
    event = {**fake.creem_checkout_event(order), "eventType": "subscription.active"}

    response = post(client, event)

    assert response.status_code == 200
    fake.assert_not_credited(order)


def test_a_signed_body_that_is_not_an_event_is_refused(client: Client):
    response = post(client, b'{"hello": "world"}')

    assert (response.status_code, response.content) == (400, b"malformed event")


def test_an_oversized_body_is_refused_before_it_is_read(client: Client, user: User, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 1024
    order = make_order(user)

    response = post(client, fake.creem_checkout_event(order))

    assert response.status_code == 413
    fake.assert_not_credited(order)


def test_a_refund_takes_the_credit_back_once(client: Client, user: User):
    order = make_order(user)
    post(client, fake.creem_checkout_event(order))
    body = fake.encode(fake.creem_refund_event(order))

    statuses = {post(client, body).status_code for _ in range(20)}

    assert statuses == {200}
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.REFUNDED
    refund = LedgerEntry.objects.get(kind=LedgerEntry.Kind.REFUND)
    assert (refund.amount, refund.reason) == (-order.credit_amount, "Refunded in Creem")
    assert Wallet.objects.get(pk=user.pk).balance == 0


def test_a_refund_naming_only_the_checkout_finds_the_order_by_reference(client: Client, user: User):
    order = make_order(user)
    post(client, fake.creem_checkout_event(order))

    response = post(client, fake.creem_refund_event(order, checkout="ch_4l0N34kxo16AhRKUHFUuXr"))

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.REFUNDED


def test_a_partial_refund_is_acknowledged_but_not_applied(client: Client, user: User):
    order = make_order(user)
    post(client, fake.creem_checkout_event(order))
    event = fake.creem_refund_event(order, refund_amount=500)
    event["object"]["transaction"].update(refunded_amount=500, status="partially_refunded")

    response = post(client, event)

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.PAID


def test_a_test_mode_refund_never_touches_a_live_order(client: Client, user: User):
    order = make_order(user, livemode=True, status=TopUpOrder.Status.PAID)

    response = post(client, fake.creem_refund_event(order, mode="test"))

    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.PAID


@pytest.mark.parametrize(
    ("test_mode", "api", "livemode"),
    [(True, "https://test-api.creem.io", False), (False, "https://api.creem.io", True)],
)
def test_checkout_asks_creem_for_whole_units_of_the_product(
    user: User, settings, test_mode: bool, api: str, livemode: bool
):
    settings.CREEM_TEST_MODE = test_mode
    order = make_order(user)
    created = fake.load("creem_checkout_created")
    return_url = f"https://tokengate.example/billing/orders/{order.pk}/"

    with respx.mock(assert_all_called=True) as creem_api:
        route = creem_api.post(f"{api}/v1/checkouts").respond(200, json=created)
        url = get_provider("creem").start_checkout(
            order, return_url=return_url, cancel_url=return_url
        )

    assert url == created["checkout_url"]
    assert (order.provider_reference, order.livemode) == (created["id"], livemode)
    request = route.calls.last.request
    assert request.headers["x-api-key"] == fake.CREEM_API_KEY
    assert json.loads(request.content) == {
        "product_id": fake.CREEM_PRODUCT_ID,
        "units": 20,
        "request_id": str(order.pk),
        "success_url": return_url,
        "metadata": {"order_id": str(order.pk)},
    }


@pytest.mark.parametrize(
    "response",
    [httpx.Response(403, json={"message": "Forbidden"}), httpx.Response(200, json={"id": "ch_1"})],
    ids=["refused", "incomplete"],
)
def test_a_failed_checkout_raises_a_provider_error(user: User, response: httpx.Response):
    order = make_order(user)

    with respx.mock() as creem_api, pytest.raises(ProviderError):
        creem_api.post("https://test-api.creem.io/v1/checkouts").mock(return_value=response)
        get_provider("creem").start_checkout(order, return_url="https://t.example/", cancel_url="")

    assert order.provider_reference == ""


def test_an_order_of_a_fraction_of_a_unit_is_never_sent_to_creem(user: User):
    order = make_order(user, charged_amount=Decimal("20.50"))

    with respx.mock(assert_all_mocked=True), pytest.raises(ValueError, match="whole number"):
        get_provider("creem").start_checkout(order, return_url="https://t.example/", cancel_url="")


def test_an_unreachable_creem_raises_a_provider_error(user: User):
    order = make_order(user)

    with respx.mock() as creem_api, pytest.raises(ProviderError):
        creem_api.post("https://test-api.creem.io/v1/checkouts").mock(
            side_effect=httpx.ConnectTimeout
        )
        get_provider("creem").start_checkout(order, return_url="https://t.example/", cancel_url="")


def test_quotes_accept_whole_amounts_only():
    creem = get_provider("creem")

    quote = creem.quote(Decimal("20"))

    assert (quote.currency, quote.charged_amount, quote.exchange_rate) == (
        "USD",
        Decimal("20.00"),
        1,
    )
    for amount in ("20.50", "0.99", "0", "-5"):
        with pytest.raises(ValueError, match="Creem accepts whole amounts only"):
            creem.quote(Decimal(amount))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_deliveries_credit_once(make_user: Callable[..., User]):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks and concurrent transactions need PostgreSQL.")
    order = make_order(make_user())
    body = fake.encode(fake.creem_checkout_event(order))
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
