"""Money under concurrency, on PostgreSQL (SQLite serialises writers and has no row locks)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum

from billing import ledger
from billing.models import Hold, LedgerEntry, RedemptionCode, Wallet

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]
DOLLAR = 10**9


def run_concurrently(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` for i in range(count) on as many threads, each with its own connection."""

    def in_thread(number: int) -> Any:
        try:
            return work(number)
        except ledger.BillingError as error:
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(in_thread, range(count)))


def assert_wallet_matches_ledger(user_id: int) -> None:
    wallet = Wallet.objects.get(pk=user_id)
    ledger_sum = LedgerEntry.objects.filter(wallet=wallet).aggregate(total=Sum("amount"))["total"]
    open_holds = Hold.objects.filter(wallet=wallet, status="open").aggregate(t=Sum("amount"))["t"]
    assert wallet.balance == ledger_sum
    assert wallet.held == (open_holds or 0)
    assert wallet.balance >= 0 and wallet.held >= 0


def test_fifty_concurrent_holds_against_a_balance_for_ten_admit_exactly_ten(make_user: Callable):
    user = make_user()
    ledger.adjust_balance(
        user_id=user.pk, amount=10 * DOLLAR, reason="t", actor_id=None, idempotency_key="f"
    )

    results = run_concurrently(
        50, lambda n: ledger.reserve(user_id=user.pk, amount=DOLLAR, request_id=f"r{n}")
    )

    admitted = [result for result in results if isinstance(result, Hold)]
    refused = [result for result in results if isinstance(result, ledger.InsufficientBalance)]
    assert (len(admitted), len(refused)) == (10, 40)
    assert Hold.objects.count() == 10
    assert_wallet_matches_ledger(user.pk)


def test_concurrent_settlements_of_one_request_charge_once(make_user: Callable):
    user = make_user()
    ledger.adjust_balance(
        user_id=user.pk, amount=10 * DOLLAR, reason="t", actor_id=None, idempotency_key="f"
    )
    ledger.reserve(user_id=user.pk, amount=DOLLAR, request_id="req")

    run_concurrently(20, lambda n: ledger.settle(request_id="req", cost=DOLLAR // 2))

    assert LedgerEntry.objects.filter(kind="charge").count() == 1
    assert Wallet.objects.get(pk=user.pk).balance == 10 * DOLLAR - DOLLAR // 2
    assert_wallet_matches_ledger(user.pk)


def test_concurrent_settlements_and_holds_never_overdraw(make_user: Callable):
    user = make_user()
    ledger.adjust_balance(
        user_id=user.pk, amount=5 * DOLLAR, reason="t", actor_id=None, idempotency_key="f"
    )

    def request(number: int) -> Any:
        ledger.reserve(user_id=user.pk, amount=DOLLAR, request_id=f"r{number}")
        # Each request costs twice its hold: settlement must still stop at zero.
        return ledger.settle(request_id=f"r{number}", cost=2 * DOLLAR)

    run_concurrently(20, request)

    assert Wallet.objects.get(pk=user.pk).balance == 0
    assert_wallet_matches_ledger(user.pk)


def test_thirty_concurrent_redemptions_of_one_code_credit_once(make_user: Callable):
    users = [make_user() for _ in range(30)]
    RedemptionCode.objects.create(code="RACE", amount=7 * DOLLAR, batch="b")

    results = run_concurrently(30, lambda n: ledger.redeem_code(user_id=users[n].pk, code="RACE"))

    credits = [result for result in results if isinstance(result, LedgerEntry)]
    assert len(credits) == 1
    assert LedgerEntry.objects.filter(kind="redemption").count() == 1
    assert Wallet.objects.filter(balance=7 * DOLLAR).count() == 1


def test_concurrent_retries_of_one_adjustment_credit_once(make_user: Callable):
    user = make_user()

    run_concurrently(
        20,
        lambda n: ledger.adjust_balance(
            user_id=user.pk, amount=DOLLAR, reason="t", actor_id=None, idempotency_key="same"
        ),
    )

    assert Wallet.objects.get(pk=user.pk).balance == DOLLAR
    assert_wallet_matches_ledger(user.pk)
