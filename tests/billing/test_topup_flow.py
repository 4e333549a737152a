"""A top-up from the console to the balance, through each provider's fake."""

from __future__ import annotations

import re
from typing import Any

import pytest
import respx
from django.test import Client

from accounts.models import User
from billing.models import TopUpOrder, Wallet
from tests.fakes import payments as fake

pytestmark = pytest.mark.django_db
TWENTY_DOLLARS = 20 * 10**9


@pytest.fixture(autouse=True)
def _all_providers(settings: Any) -> None:
    settings.PLATFORM_CURRENCY = "USD"
    settings.STRIPE_SECRET_KEY = fake.STRIPE_SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = fake.STRIPE_WEBHOOK_SECRET
    settings.CREEM_API_KEY = fake.CREEM_API_KEY
    settings.CREEM_WEBHOOK_SECRET = fake.CREEM_WEBHOOK_SECRET
    settings.CREEM_PRODUCT_ID = fake.CREEM_PRODUCT_ID
    settings.CREEM_TEST_MODE = True
    settings.ZPAY_PID = fake.ZPAY_PID
    settings.ZPAY_KEY = fake.ZPAY_KEY
    settings.ZPAY_EXCHANGE_RATE = "7.20"


@pytest.fixture
def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def start_topup(client: Client, choice: str, amount: str = "20") -> tuple[Any, TopUpOrder]:
    """Top up with `choice`, a provider or "<provider>:<method>" as the form offers it."""
    response = client.post("/billing/topup/", {"amount": amount, "provider": choice})
    return response, TopUpOrder.objects.get(provider=choice.partition(":")[0])


def assert_credited_with_receipt(client: Client, user: User, order: TopUpOrder) -> None:
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.PAID
    assert Wallet.objects.get(pk=user.pk).balance == TWENTY_DOLLARS
    billing_page = client.get("/billing/").content.decode()
    assert "20.00 USD" in billing_page
    assert order.invoice.number in billing_page
    invoice = client.get(f"/billing/invoices/{order.invoice.number}/")
    assert invoice.status_code == 200
    assert f"{order.charged_amount} {order.currency}" in invoice.content.decode()


def test_a_stripe_top_up_redirects_to_checkout_and_credits_on_the_webhook(
    signed_in: Client, user: User
):
    created = fake.load("stripe_checkout_session_created")
    with respx.mock(assert_all_called=True) as stripe_api:
        stripe_api.post("https://api.stripe.com/v1/checkout/sessions").respond(200, json=created)
        response, order = start_topup(signed_in, "stripe")

    # A page that moves on by itself: the CSP's form-action would block a redirect.
    assert response.status_code == 200
    assert fake.checkout_url(response.content.decode()) == created["url"]
    assert f'<meta http-equiv="refresh" content="0;url={created["url"]}">' in response.text
    assert "no-store" in response["Cache-Control"]
    assert (order.status, order.currency, order.charged_amount) == ("pending", "USD", 20)
    assert Wallet.objects.get(pk=user.pk).balance == 0

    body = fake.encode(fake.stripe_session_event(order))
    webhook = Client().post(
        "/billing/webhooks/stripe/",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": fake.stripe_signature(body)},
    )

    assert webhook.status_code == 200
    assert_credited_with_receipt(signed_in, user, order)


def test_a_creem_top_up_redirects_to_checkout_and_credits_on_the_webhook(
    signed_in: Client, user: User
):
    created = fake.load("creem_checkout_created")
    with respx.mock(assert_all_called=True) as creem_api:
        creem_api.post("https://test-api.creem.io/v1/checkouts").respond(200, json=created)
        response, order = start_topup(signed_in, "creem")

    assert fake.checkout_url(response.content.decode()) == created["checkout_url"]

    body = fake.encode(fake.creem_checkout_event(order))
    webhook = Client().post(
        "/billing/webhooks/creem/",
        data=body,
        content_type="application/json",
        headers={"creem-signature": fake.creem_signature(body)},
    )

    assert webhook.status_code == 200
    assert_credited_with_receipt(signed_in, user, order)


def test_a_zpay_top_up_is_charged_in_cny_and_credits_on_the_notify(signed_in: Client, user: User):
    response, order = start_topup(signed_in, "zpay:alipay")

    assert fake.checkout_url(response.content.decode()).startswith("https://zpayz.cn/submit.php?")
    assert (order.currency, str(order.charged_amount), str(order.exchange_rate)) == (
        "CNY",
        "144.00",
        "7.20000000",
    )

    # The browser's return alone never credits.
    signed_in.get(f"/billing/orders/{order.pk}/", fake.zpay_notify(order))
    assert Wallet.objects.get(pk=user.pk).balance == 0

    notify = Client().get("/billing/webhooks/zpay/", fake.zpay_notify(order))

    assert notify.content == b"success"
    assert_credited_with_receipt(signed_in, user, order)


def test_the_console_remembers_the_last_amount_and_provider(signed_in: Client, user: User):
    start_topup(signed_in, "zpay:alipay", amount="50")

    page = signed_in.get("/billing/").content.decode()

    assert 'value="50.00"' in page
    assert re.search(r'value="zpay:alipay"[^>]*checked', page)


def test_a_preset_button_sets_the_amount(signed_in: Client):
    signed_in.post("/billing/topup/", {"preset": "10", "amount": "", "provider": "zpay:alipay"})

    assert TopUpOrder.objects.get().credit_amount == 10 * 10**9


def test_an_amount_out_of_range_gets_a_form_error_and_no_order(signed_in: Client):
    response = signed_in.post("/billing/topup/", {"amount": "0.10", "provider": "zpay:alipay"})

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not TopUpOrder.objects.exists()


def test_creem_only_sells_whole_units(signed_in: Client):
    response = signed_in.post("/billing/topup/", {"amount": "12.50", "provider": "creem"})

    assert response.status_code == 200
    assert not TopUpOrder.objects.exists()


def test_an_unreachable_provider_leaves_a_message_not_an_error(signed_in: Client):
    with respx.mock() as stripe_api:
        stripe_api.post("https://api.stripe.com/v1/checkout/sessions").respond(500, json={})
        response = signed_in.post("/billing/topup/", {"amount": "20", "provider": "stripe"})

    assert response.status_code == 200
    assert "The payment provider is unavailable." in response.content.decode()
