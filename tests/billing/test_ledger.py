"""The ledger API: credits, holds, settlement, expiry, refunds, redemption, reconciliation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from billing import ledger
from billing.models import Hold, LedgerEntry, RedemptionCode, TopUpOrder, Wallet
from billing.tasks import expire_abandoned_orders, expire_stale_holds, reconcile_wallets

pytestmark = pytest.mark.django_db
DOLLAR = 10**9


def fund(user: User, dollars: int) -> None:
    ledger.adjust_balance(
        user_id=user.pk,
        amount=dollars * DOLLAR,
        reason="test",
        actor_id=None,
        idempotency_key=f"fund-{user.pk}-{dollars}",
    )


def wallet_of(user: User) -> Wallet:
    return Wallet.objects.get(pk=user.pk)


def test_an_adjustment_moves_the_balance_once_per_key(user: User):
    for _ in range(3):
        ledger.adjust_balance(
            user_id=user.pk,
            amount=5 * DOLLAR,
            reason="goodwill",
            actor_id=None,
            idempotency_key="ticket-42",
        )

    assert wallet_of(user).balance == 5 * DOLLAR
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.balance_after, entry.reason) == ("adjustment", 5 * DOLLAR, "goodwill")


def test_a_debit_never_takes_the_balance_below_zero(user: User):
    fund(user, 1)

    with pytest.raises(ledger.InsufficientBalance):
        ledger.adjust_balance(
            user_id=user.pk, amount=-2 * DOLLAR, reason="x", actor_id=None, idempotency_key="d"
        )

    assert wallet_of(user).balance == DOLLAR
    assert LedgerEntry.objects.count() == 1


def test_the_database_refuses_a_negative_balance(user: User):
    fund(user, 1)

    with pytest.raises(IntegrityError), transaction.atomic():
        Wallet.objects.filter(pk=user.pk).update(balance=-1)


def test_ledger_entries_are_append_only(user: User):
    fund(user, 1)
    entry = LedgerEntry.objects.get()

    entry.amount = 10**12
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()


def test_a_hold_reserves_the_available_balance(user: User):
    fund(user, 10)

    ledger.reserve(user_id=user.pk, amount=7 * DOLLAR, request_id="req-1")

    wallet = wallet_of(user)
    assert (wallet.balance, wallet.held, wallet.available) == (10 * DOLLAR, 7 * DOLLAR, 3 * DOLLAR)
    with pytest.raises(ledger.InsufficientBalance):
        ledger.reserve(user_id=user.pk, amount=4 * DOLLAR, request_id="req-2")
    assert not Hold.objects.filter(request_id="req-2").exists()
    assert wallet_of(user).held == 7 * DOLLAR


def test_a_user_without_a_wallet_cannot_reserve(user: User):
    with pytest.raises(ledger.InsufficientBalance):
        ledger.reserve(user_id=user.pk, amount=1, request_id="req-1")


def test_reserving_twice_for_one_request_holds_once(user: User):
    fund(user, 10)

    first = ledger.reserve(user_id=user.pk, amount=3 * DOLLAR, request_id="req-1")
    again = ledger.reserve(user_id=user.pk, amount=3 * DOLLAR, request_id="req-1")

    assert first.pk == again.pk
    assert wallet_of(user).held == 3 * DOLLAR


def test_settling_charges_the_actual_cost_and_releases_the_rest(user: User):
    fund(user, 10)
    ledger.reserve(user_id=user.pk, amount=3 * DOLLAR, request_id="req-1")

    entry = ledger.settle(request_id="req-1", cost=1_234)

    wallet = wallet_of(user)
    assert (wallet.balance, wallet.held) == (10 * DOLLAR - 1_234, 0)
    assert (entry.kind, entry.amount, entry.request_id) == ("charge", -1_234, "req-1")
    assert Hold.objects.get(request_id="req-1").status == Hold.Status.SETTLED


def test_settling_twice_charges_once(user: User):
    fund(user, 10)
    ledger.reserve(user_id=user.pk, amount=3 * DOLLAR, request_id="req-1")

    first = ledger.settle(request_id="req-1", cost=500)
    second = ledger.settle(request_id="req-1", cost=900)

    assert first.pk == second.pk
    assert wallet_of(user).balance == 10 * DOLLAR - 500


def test_a_cost_above_the_hold_is_charged_up_to_the_free_balance(user: User):
    fund(user, 10)
    ledger.reserve(user_id=user.pk, amount=2 * DOLLAR, request_id="req-1")
    ledger.reserve(user_id=user.pk, amount=5 * DOLLAR, request_id="other")

    entry = ledger.settle(request_id="req-1", cost=8 * DOLLAR)

    # Only 5 dollars were not held for the other request.
    assert entry.amount == -5 * DOLLAR
    hold = Hold.objects.get(request_id="req-1")
    assert (hold.charged, hold.uncollected) == (5 * DOLLAR, 3 * DOLLAR)
    wallet = wallet_of(user)
    assert (wallet.balance, wallet.held) == (5 * DOLLAR, 5 * DOLLAR)


def test_a_zero_cost_request_still_leaves_one_charge_entry(user: User):
    fund(user, 1)
    ledger.reserve(user_id=user.pk, amount=DOLLAR, request_id="req-1")

    ledger.settle(request_id="req-1", cost=0)

    assert LedgerEntry.objects.filter(kind="charge", request_id="req-1", amount=0).count() == 1


def test_releasing_returns_the_hold_without_charging(user: User):
    fund(user, 10)
    ledger.reserve(user_id=user.pk, amount=3 * DOLLAR, request_id="req-1")

    ledger.release(request_id="req-1")
    ledger.release(request_id="req-1")

    wallet = wallet_of(user)
    assert (wallet.balance, wallet.held) == (10 * DOLLAR, 0)
    assert not LedgerEntry.objects.filter(kind="charge").exists()


def test_settling_or_releasing_an_unknown_request_is_an_error():
    with pytest.raises(ledger.UnknownHold):
        ledger.settle(request_id="nope", cost=1)
    with pytest.raises(ledger.UnknownHold):
        ledger.release(request_id="nope")


def test_negative_holds_and_costs_are_refused(user: User):
    fund(user, 1)
    with pytest.raises(ValueError):
        ledger.reserve(user_id=user.pk, amount=-1, request_id="req-1")
    ledger.reserve(user_id=user.pk, amount=1, request_id="req-2")
    with pytest.raises(ValueError):
        ledger.settle(request_id="req-2", cost=-5)


def test_stale_holds_expire_and_are_recorded(user: User):
    fund(user, 10)
    ledger.reserve(user_id=user.pk, amount=3 * DOLLAR, request_id="stale")
    ledger.reserve(user_id=user.pk, amount=2 * DOLLAR, request_id="fresh")
    Hold.objects.filter(request_id="stale").update(expires_at=timezone.now() - timedelta(seconds=1))

    assert expire_stale_holds.delay().get() == 1
    assert expire_stale_holds.delay().get() == 0

    assert Hold.objects.get(request_id="stale").status == Hold.Status.EXPIRED
    assert Hold.objects.get(request_id="fresh").status == Hold.Status.OPEN
    assert wallet_of(user).held == 2 * DOLLAR
    assert LedgerEntry.objects.filter(kind="hold_expiry", request_id="stale", amount=0).count() == 1


def test_a_request_that_outlived_its_hold_is_still_billed_once(user: User):
    fund(user, 10)
    ledger.reserve(user_id=user.pk, amount=3 * DOLLAR, request_id="slow")
    Hold.objects.filter(request_id="slow").update(expires_at=timezone.now() - timedelta(seconds=1))
    expire_stale_holds.delay()

    ledger.settle(request_id="slow", cost=2 * DOLLAR)
    ledger.settle(request_id="slow", cost=2 * DOLLAR)

    wallet = wallet_of(user)
    assert (wallet.balance, wallet.held) == (8 * DOLLAR, 0)
    assert LedgerEntry.objects.filter(kind="charge", request_id="slow").count() == 1


def make_order(user: User, *, dollars: int = 10, status: str = "pending") -> TopUpOrder:
    return TopUpOrder.objects.create(
        user=user,
        provider="stripe",
        status=status,
        credit_amount=dollars * DOLLAR,
        currency="USD",
        charged_amount=dollars,
    )


def test_a_paid_order_is_credited_once_with_an_invoice_and_an_email(
    user: User, django_capture_on_commit_callbacks
):
    order = make_order(user)

    with django_capture_on_commit_callbacks(execute=True):
        assert ledger.credit_paid_order(order_id=str(order.pk), provider_reference="cs_1")
        assert not ledger.credit_paid_order(order_id=str(order.pk), provider_reference="cs_1")

    order.refresh_from_db()
    assert (order.status, order.provider_reference) == ("paid", "cs_1")
    assert wallet_of(user).balance == 10 * DOLLAR
    assert order.invoice.number.startswith("TG-")
    assert len(mail.outbox) == 1
    assert "10.00 USD" in mail.outbox[0].subject


def test_abandoned_orders_expire_but_a_late_payment_is_still_credited(user: User):
    old, recent = make_order(user), make_order(user)
    TopUpOrder.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))

    assert expire_abandoned_orders.delay().get() == 1
    assert TopUpOrder.objects.get(pk=recent.pk).status == "pending"
    assert TopUpOrder.objects.get(pk=old.pk).status == "expired"

    assert ledger.credit_paid_order(order_id=str(old.pk))
    assert TopUpOrder.objects.get(pk=old.pk).status == "paid"
    assert wallet_of(user).balance == 10 * DOLLAR


def test_a_failed_order_is_never_credited(user: User):
    order = make_order(user, status="failed")

    assert not ledger.credit_paid_order(order_id=str(order.pk))
    assert not LedgerEntry.objects.exists()


def test_a_refund_takes_the_credit_back_once(user: User):
    order = make_order(user)
    ledger.credit_paid_order(order_id=str(order.pk))

    ledger.refund_order(order_id=str(order.pk), actor_id=None, reason="customer request")
    ledger.refund_order(order_id=str(order.pk), actor_id=None, reason="customer request")

    assert wallet_of(user).balance == 0
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    assert TopUpOrder.objects.get(pk=order.pk).status == "refunded"


def test_a_refund_after_spending_takes_back_only_what_is_left(user: User):
    order = make_order(user)
    ledger.credit_paid_order(order_id=str(order.pk))
    ledger.reserve(user_id=user.pk, amount=4 * DOLLAR, request_id="spent")
    ledger.settle(request_id="spent", cost=4 * DOLLAR)

    entry = ledger.refund_order(order_id=str(order.pk), actor_id=None, reason="chargeback")

    assert entry.amount == -6 * DOLLAR
    assert wallet_of(user).balance == 0


def test_a_pending_order_cannot_be_refunded(user: User):
    order = make_order(user)

    with pytest.raises(ledger.BillingError):
        ledger.refund_order(order_id=str(order.pk), actor_id=None, reason="x")


def test_a_code_is_redeemed_once(make_user: Callable):
    first, second = make_user(), make_user()
    RedemptionCode.objects.create(code="GIFT2026", amount=3 * DOLLAR, batch="launch")

    ledger.redeem_code(user_id=first.pk, code=" gift2026 ")
    with pytest.raises(ledger.CodeNotRedeemable):
        ledger.redeem_code(user_id=second.pk, code="GIFT2026")

    assert wallet_of(first).balance == 3 * DOLLAR
    assert not Wallet.objects.filter(pk=second.pk, balance__gt=0).exists()
    assert RedemptionCode.objects.get().redeemed_by == first


def test_an_expired_code_is_refused(user: User):
    RedemptionCode.objects.create(
        code="OLD", amount=DOLLAR, batch="b", expires_at=timezone.now() - timedelta(days=1)
    )

    with pytest.raises(ledger.CodeNotRedeemable):
        ledger.redeem_code(user_id=user.pk, code="OLD")


def test_a_low_balance_alert_is_sent_once_per_crossing(
    user: User, django_capture_on_commit_callbacks
):
    fund(user, 10)
    Wallet.objects.filter(pk=user.pk).update(low_balance_threshold=5 * DOLLAR)
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(3):
            ledger.reserve(user_id=user.pk, amount=2 * DOLLAR, request_id=f"r{number}")
            ledger.settle(request_id=f"r{number}", cost=2 * DOLLAR)

    assert len(mail.outbox) == 1
    assert "below 5.00 USD" in mail.outbox[0].subject

    with django_capture_on_commit_callbacks(execute=True):
        fund(user, 20)
        ledger.reserve(user_id=user.pk, amount=23 * DOLLAR, request_id="big")
        ledger.settle(request_id="big", cost=23 * DOLLAR)
    assert len(mail.outbox) == 2


def test_reconciliation_finds_a_wallet_that_drifted_from_its_ledger(make_user: Callable):
    billing_staff = make_user(staff=True)
    billing_staff.groups.add(Group.objects.get(name="Billing"))
    user = make_user()
    fund(user, 10)
    assert reconcile_wallets.delay().get() == 0

    Wallet.objects.filter(pk=user.pk).update(balance=11 * DOLLAR)

    assert reconcile_wallets.delay().get() == 1
    assert mail.outbox[-1].to == [billing_staff.email]
    assert f"user {user.pk}" in mail.outbox[-1].body


def test_a_batch_charges_in_order_until_the_balance_is_spent(
    user: User, make_user: Callable[..., User]
):
    other = make_user("other@example.com")
    fund(user, 10)
    fund(other, 1)
    batch = [
        ledger.Settlement(request_id="a", user_id=user.pk, held=5 * DOLLAR, cost=3 * DOLLAR),
        ledger.Settlement(request_id="b", user_id=user.pk, held=5 * DOLLAR, cost=None),
        ledger.Settlement(request_id="c", user_id=other.pk, held=DOLLAR, cost=DOLLAR // 2),
        ledger.Settlement(request_id="d", user_id=user.pk, held=9 * DOLLAR, cost=9 * DOLLAR),
        ledger.Settlement(request_id="e", user_id=user.pk, held=DOLLAR, cost=DOLLAR),
    ]

    paid = ledger.settle_batch(batch)

    assert paid == {"a": 3 * DOLLAR, "b": 0, "c": DOLLAR // 2, "d": 7 * DOLLAR, "e": 0}
    assert (wallet_of(user).balance, wallet_of(other).balance) == (0, DOLLAR // 2)
    holds = {hold.request_id: hold for hold in Hold.objects.all()}
    assert (holds["b"].status, holds["b"].charged, holds["b"].uncollected) == ("released", None, 0)
    assert (holds["d"].charged, holds["d"].uncollected) == (7 * DOLLAR, 2 * DOLLAR)
    assert (holds["e"].charged, holds["e"].uncollected) == (0, DOLLAR)
    charges = LedgerEntry.objects.filter(kind="charge", wallet_id=user.pk).order_by("id")
    assert [entry.balance_after for entry in charges] == [7 * DOLLAR, 0, 0]
    assert ledger.find_mismatches() == []


def test_a_batch_that_crosses_the_alert_threshold_emails_once(
    user: User, django_capture_on_commit_callbacks: Callable
):
    fund(user, 10)
    Wallet.objects.filter(pk=user.pk).update(low_balance_threshold=5 * DOLLAR)
    batch = [
        ledger.Settlement(f"r{number}", user.pk, 2 * DOLLAR, 2 * DOLLAR) for number in range(3)
    ]

    with django_capture_on_commit_callbacks(execute=True):
        ledger.settle_batch(batch[:2])  # 6 left: above the threshold
        ledger.settle_batch(batch[2:])  # 4 left: below it
        ledger.settle_batch([ledger.Settlement("r3", user.pk, DOLLAR, DOLLAR)])

    assert len(mail.outbox) == 1
    assert wallet_of(user).low_balance_alerted


def test_a_request_settles_once_even_in_a_batch(user: User):
    fund(user, 10)
    first = ledger.Settlement(request_id="a", user_id=user.pk, held=DOLLAR, cost=DOLLAR)
    ledger.settle_batch([first])

    with pytest.raises(IntegrityError), transaction.atomic():
        ledger.settle_batch([ledger.Settlement("z", user.pk, DOLLAR, DOLLAR), first])

    assert wallet_of(user).balance == 9 * DOLLAR
    assert not Hold.objects.filter(request_id="z").exists()


def test_a_batch_announces_each_wallets_newest_balance(
    user: User, django_capture_on_commit_callbacks: Callable
):
    fund(user, 10)
    announced: list[tuple[int, int, int]] = []

    def note(sender: object, user_id: int, balance: int, version: int, **kwargs: object) -> None:
        announced.append((user_id, balance, version))

    ledger.balance_changed.connect(note)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ledger.settle_batch(
                [
                    ledger.Settlement("a", user.pk, DOLLAR, DOLLAR),
                    ledger.Settlement("b", user.pk, DOLLAR, 2 * DOLLAR),
                ]
            )
    finally:
        ledger.balance_changed.disconnect(note)

    newest = LedgerEntry.objects.latest("id")
    assert announced == [(user.pk, 7 * DOLLAR, newest.pk)]
