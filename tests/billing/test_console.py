"""The billing pages of the console: balance, codes, billing details, orders and invoices."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from io import StringIO
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from accounts.models import Preferences, User
from billing import ledger
from billing.models import BillingProfile, RedemptionCode, TopUpOrder, Wallet
from tests.fakes import payments as fake

pytestmark = pytest.mark.django_db
DOLLAR = 10**9


@pytest.fixture
def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def zpay(settings: Any) -> None:
    """ZPAY alone is configured, at 7.20 CNY per USD."""
    settings.PLATFORM_CURRENCY = "USD"
    settings.STRIPE_SECRET_KEY = settings.CREEM_API_KEY = ""
    settings.ZPAY_PID, settings.ZPAY_KEY = fake.ZPAY_PID, fake.ZPAY_KEY
    settings.ZPAY_EXCHANGE_RATE = "7.20"


def speaks(user: User, language: str, time_zone: str = "UTC") -> None:
    Preferences.objects.update_or_create(
        user=user, defaults={"language": language, "time_zone": time_zone}
    )


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
            "country": "DE",
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


def test_a_french_user_tops_up_with_a_decimal_comma(signed_in: Client, user: User, zpay: None):
    speaks(user, "fr")

    response = signed_in.post("/billing/topup/", {"amount": "12,50", "provider": "zpay:alipay"})

    assert fake.checkout_url(response.content.decode()).startswith("https://zpayz.cn/")
    order = TopUpOrder.objects.get(user=user)
    assert (order.credit_amount, order.charged_amount) == (12_500_000_000, 90)
    assert Wallet.objects.get(pk=user.pk).balance == 0


def test_an_amount_that_is_not_a_number_gets_a_form_error(signed_in: Client, zpay: None):
    response = signed_in.post("/billing/topup/", {"amount": "12,50", "provider": "zpay:alipay"})

    assert response.status_code == 200
    assert "Enter a number." in response.content.decode()
    assert not TopUpOrder.objects.exists()


def test_an_amount_below_the_minimum_gets_a_translated_form_error(
    signed_in: Client, user: User, zpay: None
):
    speaks(user, "fr")

    response = signed_in.post("/billing/topup/", {"amount": "0,5", "provider": "zpay:alipay"})

    assert response.status_code == 200
    assert "Assurez-vous que cette valeur est supérieure ou égale à 1." in response.content.decode()
    assert not TopUpOrder.objects.exists()


def test_zpay_is_offered_as_alipay_and_wechat_pay_with_its_exchange_rate(
    signed_in: Client, zpay: None
):
    page = signed_in.get("/billing/").content.decode()

    assert 'value="zpay:alipay"' in page
    assert 'value="zpay:wxpay"' in page
    assert "you pay in CNY, at 7.20 CNY for 1 USD." in page


def test_a_wechat_pay_top_up_goes_to_zpay_with_that_method_and_is_remembered(
    signed_in: Client, user: User, zpay: None
):
    response = signed_in.post("/billing/topup/", {"preset": "10", "provider": "zpay:wxpay"})

    query = parse_qs(urlsplit(fake.checkout_url(response.content.decode())).query)
    assert (query["type"], query["money"]) == (["wxpay"], ["72.00"])
    page = signed_in.get("/billing/").content.decode()
    assert re.search(r'value="zpay:wxpay"[^>]*checked', page)


def test_payment_history_is_paginated_with_status_badges(signed_in: Client, user: User):
    for _number in range(21):
        paid_order(user, dollars=1)

    first = signed_in.get("/billing/orders/").content.decode()
    second = signed_in.get("/billing/orders/?page=2").content.decode()

    assert first.count('class="badge ok"') == 20
    assert "Page 1 of 2" in first
    assert second.count('class="badge ok"') == 1


def test_payment_history_has_an_empty_state(signed_in: Client):
    page = signed_in.get("/billing/orders/").content.decode()

    assert "No payments yet." in page
    assert "Download as CSV" not in page


def test_payment_history_downloads_as_csv_in_the_users_time_zone(signed_in: Client, user: User):
    speaks(user, "en", "Asia/Tokyo")
    order = paid_order(user)

    response = signed_in.get("/billing/orders/?format=csv")

    assert response["Content-Disposition"] == 'attachment; filename="tokengate-payments.csv"'
    header, row = list(csv.reader(StringIO(response.content.decode())))
    assert header[:5] == ["Date", "Order", "Paid with", "Status", "Credit"]
    assert row[0].endswith("+09:00")
    invoice = order.invoice.number
    assert row[1:] == [str(order.pk), "Stripe", "paid", "20.00", "20.00", "USD", "1", invoice]


def test_the_invoice_downloads_as_a_named_file_and_prints_on_its_own(signed_in: Client, user: User):
    order = paid_order(user)
    url = f"/billing/invoices/{order.invoice.number}/"

    download = signed_in.get(f"{url}?download=1")
    printable = signed_in.get(f"{url}?print=1")

    filename = f"tokengate-invoice-{order.invoice.number}.html"
    assert download["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert order.invoice.number in download.content.decode()
    assert "Content-Disposition" not in printable
    assert 'class="print-page"' in printable.content.decode()
    assert 'class="site-header"' not in printable.content.decode()


def test_the_overview_sums_charges_per_day_and_lists_top_ups(signed_in: Client, user: User):
    paid_order(user)
    for number in range(3):
        ledger.reserve(user_id=user.pk, amount=DOLLAR, request_id=f"req_{number}")
        ledger.settle(request_id=f"req_{number}", cost=DOLLAR // 4)

    page = signed_in.get("/billing/").content.decode()

    assert re.search(r"<td>Charge</td>\s*<td>3</td>", page)
    assert "-0.75 USD" in page
    assert re.search(r"<td>Top-up</td>\s*<td>1</td>", page)
    assert "19.25 USD" in page


def test_the_overview_shows_amounts_in_the_users_locale(signed_in: Client, user: User):
    speaks(user, "fr")
    paid_order(user)
    Wallet.objects.filter(pk=user.pk).update(low_balance_threshold=5 * DOLLAR)

    page = signed_in.get("/billing/").content.decode()

    assert "20,00 USD" in page
    assert "5,00 USD" in page


def test_billing_details_keep_the_tax_id_optional_and_translate_errors(
    signed_in: Client, user: User
):
    speaks(user, "fr")

    saved = signed_in.post("/billing/profile/", {"name": "Alice", "country": "FR"})
    refused = signed_in.post("/billing/profile/", {"low_balance_threshold": "cinq"})

    assert saved.status_code == 302
    assert BillingProfile.objects.get(user=user).tax_id == ""
    assert "Saisissez un nombre." in refused.content.decode()


def test_the_country_is_chosen_from_a_list_in_the_users_language(signed_in: Client, user: User):
    speaks(user, "fr")

    page = signed_in.get("/billing/profile/").content.decode()
    refused = signed_in.post("/billing/profile/", {"country": "Atlantis"})

    assert '<option value="DE">Allemagne</option>' in page
    assert "Sélectionnez un choix valide." in refused.content.decode()


def test_a_country_saved_as_a_name_is_preselected_by_its_code(signed_in: Client, user: User):
    BillingProfile.objects.create(user=user, country="germany")

    page = signed_in.get("/billing/profile/").content.decode()

    assert '<option value="DE" selected>Germany</option>' in page


def test_the_invoice_names_the_country_in_the_payers_language(signed_in: Client, user: User):
    speaks(user, "ja")
    BillingProfile.objects.create(user=user, name="Acme KK", country="JP")

    order = paid_order(user)

    assert order.invoice.billed_to == "Acme KK\n日本"
