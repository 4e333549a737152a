"""The billing pages of the console: balance, codes, billing details, orders and invoices."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import User
from billing import ledger
from billing.models import BillingProfile, RedemptionCode, TopUpOrder, Wallet

pytestmark = pytest.mark.django_db
DOLLAR = 10**9


@pytest.fixture
def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def paid_order(user: User, *, dollars: int = 20) -> TopUpOrder:
    order = TopUpOrder.objects.create(
        user=user,
        provider="stripe",
        credit_amount=dollars * DOLLAR,
        currency="USD",
        charged_amount=dollars,
    )
    ledger.credit_paid_order(order_id=str(order.pk), provider_reference="cs_test")
    order.refresh_from_db()
    return order


def test_the_billing_page_shows_the_balance_and_payment_history(signed_in: Client, user: User):
    order = paid_order(user)

    page = signed_in.get("/billing/").content.decode()

    assert "20.00 USD" in page
    assert order.invoice.number in page


def test_the_billing_page_has_an_empty_state(signed_in: Client):
    page = signed_in.get("/billing/").content.decode()

    assert "No payments yet." in page
    assert "0.00 USD" in page


def test_a_user_redeems_a_code_in_the_console(signed_in: Client, user: User):
    RedemptionCode.objects.create(code="WELCOME5", amount=5 * DOLLAR, batch="b")

    response = signed_in.post("/billing/redeem/", {"code": "welcome5"}, follow=True)

    assert "5.00 USD was added to your balance." in response.content.decode()
    assert Wallet.objects.get(pk=user.pk).balance == 5 * DOLLAR


def test_a_used_code_gets_a_form_error_and_no_credit(signed_in: Client, make_user: Callable):
    RedemptionCode.objects.create(code="ONCE", amount=DOLLAR, batch="b")
    ledger.redeem_code(user_id=make_user().pk, code="ONCE")

    response = signed_in.post("/billing/redeem/", {"code": "ONCE"})

    assert response.status_code == 200
    assert "This code is not valid, already used or expired." in response.content.decode()


def test_billing_details_and_the_low_balance_alert_are_saved(signed_in: Client, user: User):
    response = signed_in.post(
        "/billing/profile/",
        {
            "name": "Acme GmbH",
            "address": "Hauptstr. 1\n10115 Berlin",
            "country": "Germany",
            "tax_id": "DE123456789",
            "low_balance_threshold": "5.00",
        },
    )

    assert response.status_code == 302
    assert BillingProfile.objects.get(user=user).tax_id == "DE123456789"
    assert Wallet.objects.get(pk=user.pk).low_balance_threshold == 5 * DOLLAR


def test_the_invoice_uses_the_billing_details_at_payment_time(signed_in: Client, user: User):
    BillingProfile.objects.create(user=user, name="Acme GmbH", tax_id="DE123456789")
    order = paid_order(user)
    BillingProfile.objects.filter(user=user).update(name="Renamed Ltd")

    page = signed_in.get(f"/billing/invoices/{order.invoice.number}/").content.decode()

    assert "Acme GmbH" in page
    assert "DE123456789" in page
    assert "Renamed Ltd" not in page
    assert "20.00 USD" in page
    download = signed_in.get(f"/billing/invoices/{order.invoice.number}/?download=1")
    assert download["Content-Disposition"] == f'attachment; filename="{order.invoice.number}.html"'


def test_nobody_sees_another_users_invoice_or_order(client: Client, make_user: Callable):
    owner, other = make_user(), make_user()
    order = paid_order(owner)
    client.force_login(other)

    assert client.get(f"/billing/invoices/{order.invoice.number}/").status_code == 404
    assert client.get(f"/billing/orders/{order.pk}/").status_code == 404


def test_the_return_page_shows_the_status_and_never_credits(signed_in: Client, user: User):
    order = TopUpOrder.objects.create(
        user=user, provider="zpay", credit_amount=10 * DOLLAR, currency="CNY", charged_amount=72
    )

    page = signed_in.get(f"/billing/orders/{order.pk}/?trade_status=TRADE_SUCCESS").content
    assert b"waiting for the payment provider" in page
    assert TopUpOrder.objects.get(pk=order.pk).status == "pending"
    assert not Wallet.objects.filter(pk=user.pk, balance__gt=0).exists()


def test_top_ups_are_unavailable_when_no_provider_is_configured(signed_in: Client, settings):
    for name in ("STRIPE_SECRET_KEY", "CREEM_API_KEY", "ZPAY_KEY"):
        setattr(settings, name, "")

    page = signed_in.get("/billing/").content.decode()

    assert "Online payments are not available yet." in page
    assert not TopUpOrder.objects.exists()
