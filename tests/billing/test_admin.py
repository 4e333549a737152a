"""Billing in admin: prices with history, adjustments, refunds, codes, and who may do what."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from accounts.models import User
from billing import ledger
from billing.models import LedgerEntry, Plan, Price, RedemptionCode, TopUpOrder, Wallet

pytestmark = pytest.mark.django_db
DOLLAR = 10**9


def staff_client(make_user: Callable, role: str) -> tuple[Client, User]:
    member = make_user(staff=True)
    member.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(member)
    return client, member


def test_billing_staff_add_a_price_in_dollars_per_million_tokens(make_user: Callable):
    client, member = staff_client(make_user, "Billing")

    response = client.post(
        "/admin/billing/price/add/",
        {
            "model": "deepseek-chat",
            "input_per_million": "0.27",
            "cached_input_per_million": "",
            "output_per_million": "1.10",
            "request_fee": "0",
            "effective_from_0": timezone.now().strftime("%Y-%m-%d"),
            "effective_from_1": timezone.now().strftime("%H:%M:%S"),
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    price = Price.objects.get()
    assert (price.input_per_million, price.output_per_million) == (270_000_000, 1_100_000_000)
    assert price.cached_input_per_million is None
    assert price.created_by == member


def test_a_price_in_force_cannot_be_edited_only_superseded(make_user: Callable):
    client, _member = staff_client(make_user, "Billing")
    old = Price.objects.create(model="m", input_per_million=1, output_per_million=2)

    response = client.post(f"/admin/billing/price/{old.pk}/change/", {"model": "m"})

    assert response.status_code == 403
    assert Price.objects.get(pk=old.pk).input_per_million == 1


def test_a_new_price_applies_from_its_effective_time_and_history_stays():
    now = timezone.now()
    old = Price.objects.create(
        model="m", input_per_million=1, output_per_million=1, effective_from=now - timedelta(days=1)
    )
    new = Price.objects.create(
        model="m",
        input_per_million=2,
        output_per_million=2,
        effective_from=now + timedelta(hours=1),
    )

    assert Price.objects.current("m") == old
    assert Price.objects.current("m", at=now + timedelta(hours=2)) == new
    assert Price.objects.current(old.model) == old


def test_billing_staff_adjust_a_balance_once_even_if_the_form_is_sent_twice(make_user: Callable):
    client, member = staff_client(make_user, "Billing")
    customer = make_user()
    Wallet.objects.for_user(customer.pk)
    form = {"amount": "5.5", "reason": "outage credit", "idempotency_key": str(uuid.uuid4())}

    for _ in range(2):
        response = client.post(f"/admin/billing/wallet/{customer.pk}/adjust/", form)
        assert response.status_code == 302

    entry = LedgerEntry.objects.get()
    assert (entry.amount, entry.actor, entry.reason) == (5_500_000_000, member, "outage credit")
    assert Wallet.objects.get(pk=customer.pk).balance == 5_500_000_000


def test_an_adjustment_cannot_overdraw(make_user: Callable):
    client, _member = staff_client(make_user, "Billing")
    customer = make_user()
    Wallet.objects.for_user(customer.pk)

    response = client.post(
        f"/admin/billing/wallet/{customer.pk}/adjust/",
        {"amount": "-1", "reason": "x", "idempotency_key": str(uuid.uuid4())},
    )

    assert response.status_code == 200
    assert "The balance cannot go below zero." in response.content.decode()
    assert not LedgerEntry.objects.exists()


def test_billing_staff_refund_a_paid_order(make_user: Callable):
    client, member = staff_client(make_user, "Billing")
    customer = make_user()
    order = TopUpOrder.objects.create(
        user=customer,
        provider="zpay",
        credit_amount=10 * DOLLAR,
        currency="CNY",
        charged_amount=72,
    )
    ledger.credit_paid_order(order_id=str(order.pk))

    client.post(
        "/admin/billing/topuporder/",
        {"action": "refund_orders", "_selected_action": [str(order.pk)]},
    )

    assert TopUpOrder.objects.get(pk=order.pk).status == "refunded"
    refund = LedgerEntry.objects.get(kind="refund")
    assert (refund.amount, refund.actor) == (-10 * DOLLAR, member)


def test_billing_staff_generate_a_batch_of_single_use_codes(make_user: Callable):
    client, _member = staff_client(make_user, "Billing")

    response = client.post(
        "/admin/billing/redemptioncode/add/",
        {"batch": "launch-week", "count": "25", "amount": "2.00", "expires_at": ""},
    )

    assert response.status_code == 302
    codes = RedemptionCode.objects.filter(batch="launch-week")
    assert codes.count() == 25
    assert len({code.code for code in codes}) == 25
    assert {code.amount for code in codes} == {2 * DOLLAR}


def test_nobody_edits_ledger_entries_in_admin(make_user: Callable):
    superuser = make_user(superuser=True)
    customer = make_user()
    ledger.adjust_balance(
        user_id=customer.pk, amount=DOLLAR, reason="r", actor_id=None, idempotency_key="k"
    )
    entry = LedgerEntry.objects.get()
    client = Client()
    client.force_login(superuser)

    assert client.get("/admin/billing/ledgerentry/add/").status_code == 403
    assert client.post(f"/admin/billing/ledgerentry/{entry.pk}/delete/").status_code == 403
    page = client.get(f"/admin/billing/ledgerentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert 'name="amount"' not in page.content.decode()


@pytest.mark.parametrize(
    ("role", "page", "status"),
    [
        ("Billing", "/admin/billing/ledgerentry/", 200),
        ("Billing", "/admin/billing/topuporder/", 200),
        ("Billing", "/admin/billing/wallet/", 200),
        ("Support", "/admin/billing/ledgerentry/", 403),
        ("Support", "/admin/billing/topuporder/", 403),
        ("Support", "/admin/billing/billingprofile/", 403),
        ("Operator", "/admin/billing/price/", 200),
        ("Operator", "/admin/billing/price/add/", 403),
        ("Operator", "/admin/billing/wallet/", 403),
        ("Privacy Officer", "/admin/billing/billingprofile/", 200),
        ("Privacy Officer", "/admin/billing/ledgerentry/", 403),
    ],
)
def test_each_role_sees_only_its_billing_pages(
    make_user: Callable, role: str, page: str, status: int
):
    client, _member = staff_client(make_user, role)

    assert client.get(page).status_code == status


def test_only_billing_staff_may_adjust_balances(make_user: Callable):
    client, _member = staff_client(make_user, "Operator")
    customer = make_user()
    Wallet.objects.for_user(customer.pk)

    response = client.post(
        f"/admin/billing/wallet/{customer.pk}/adjust/",
        {"amount": "5", "reason": "x", "idempotency_key": str(uuid.uuid4())},
    )

    assert response.status_code == 403
    assert not LedgerEntry.objects.exists()


def test_billing_staff_put_a_user_on_a_plan_but_cannot_edit_the_balance(make_user: Callable):
    client, _member = staff_client(make_user, "Billing")
    customer = make_user()
    Wallet.objects.for_user(customer.pk)
    plan = Plan.objects.create(name="enterprise", multiplier="0.8")

    client.post(f"/admin/billing/wallet/{customer.pk}/change/", {"plan": plan.pk, "balance": "99"})

    wallet = Wallet.objects.get(pk=customer.pk)
    assert wallet.plan == plan
    assert wallet.balance == 0
    assert wallet.multiplier == Decimal("0.8")
