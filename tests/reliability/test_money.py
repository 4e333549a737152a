"""Money rows not covered in tests/billing and tests/gateway: a profile or plan update racing a
deduction, and settlement when the client leaves before the first token or after the last
chunk. The ledger invariants hold in every case."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from django.db.models.signals import pre_save
from django.test import Client

from accounts.models import User
from billing import ledger
from billing.models import Hold, LedgerEntry, Plan, Wallet
from gateway.models import Channel, UsageLog
from tests.fakes.upstream import FakeUpstream, Reply
from tests.reliability.conftest import MODEL, assert_ledger_invariants, balance_of, charged_total

pytestmark = pytest.mark.django_db

MESSAGES = [{"role": "user", "content": "hi"}]


def deduct_during_the_next_wallet_save(user_id: int) -> Callable[[], object]:
    """Charge a request the moment a wallet is about to be saved, as a concurrent gateway
    worker could between the moment a form loaded the wallet and the moment it saves it."""

    def charge(sender: Any, instance: Wallet, **kwargs: Any) -> None:
        pre_save.disconnect(charge, sender=Wallet)
        ledger.reserve(user_id=user_id, amount=10**9, request_id="req_race")
        ledger.settle(request_id="req_race", cost=4 * 10**8)

    pre_save.connect(charge, sender=Wallet, weak=False)
    return lambda: pre_save.disconnect(charge, sender=Wallet)


def test_a_plan_change_in_admin_racing_a_deduction_keeps_the_deduction(
    make_user: Callable[..., User],
):
    customer = make_user()
    ledger.adjust_balance(
        user_id=customer.pk, amount=10**10, reason="t", actor_id=None, idempotency_key="t"
    )
    plan = Plan.objects.create(name="enterprise", multiplier="0.8")
    staff = Client()
    staff.force_login(make_user(staff=True, superuser=True))
    stop = deduct_during_the_next_wallet_save(customer.pk)
    try:
        staff.post(f"/admin/billing/wallet/{customer.pk}/change/", {"plan": plan.pk})
    finally:
        stop()

    wallet = Wallet.objects.get(pk=customer.pk)
    assert wallet.plan == plan
    assert wallet.balance == 10**10 - 4 * 10**8
    assert_ledger_invariants()


def test_a_billing_profile_form_loaded_before_a_deduction_keeps_the_deduction(
    client: Client, make_user: Callable[..., User]
):
    customer = make_user()
    ledger.adjust_balance(
        user_id=customer.pk, amount=10**10, reason="t", actor_id=None, idempotency_key="t"
    )
    client.force_login(customer)
    page = client.get("/billing/profile/")
    ledger.reserve(user_id=customer.pk, amount=10**9, request_id="req_race")
    ledger.settle(request_id="req_race", cost=4 * 10**8)
    saved = client.post(
        "/billing/profile/", {"name": "Ada", "low_balance_threshold": "3.00", "country": "FR"}
    )

    assert page.status_code == 200 and saved.status_code == 302
    wallet = Wallet.objects.get(pk=customer.pk)
    assert (wallet.balance, wallet.low_balance_threshold) == (10**10 - 4 * 10**8, 3 * 10**9)
    assert_ledger_invariants()


def read_stream(base_url: str, api_key: str, *, timeout: float) -> list[str]:
    """Stream a chat completion to its end (or the timeout); returns the lines received."""
    with httpx.stream(
        "POST",
        f"{base_url}/chat/completions",
        headers={"Authorization": f"Bearer {api_key}"},
        json={"model": MODEL, "messages": MESSAGES, "stream": True},
        timeout=timeout,
    ) as response:
        return [line for line in response.iter_lines() if line]


def wait_for_usage_log() -> UsageLog:
    deadline = time.monotonic() + 5
    while not UsageLog.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return UsageLog.objects.get()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_client_leaving_before_the_first_token_is_settled_once(
    live_gateway: str,
    api_key: str,
    customer: User,
    make_channel: Callable[..., Channel],
    upstream: FakeUpstream,
):
    make_channel()
    upstream.script(Reply(delay=1.0, chunks=5))
    with pytest.raises(httpx.ReadTimeout):
        read_stream(live_gateway, api_key, timeout=0.3)

    log = wait_for_usage_log()
    time.sleep(1.5)  # let the upstream's late answer arrive: still one settlement
    assert UsageLog.objects.count() == 1
    assert Hold.objects.get().status in {Hold.Status.SETTLED, Hold.Status.RELEASED}
    assert LedgerEntry.objects.filter(kind="charge").count() <= 1
    assert log.cost == charged_total() == 10**10 - balance_of(customer.pk)
    assert_ledger_invariants()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_client_leaving_after_the_last_chunk_is_billed_its_full_usage_once(
    live_gateway: str,
    api_key: str,
    customer: User,
    make_channel: Callable[..., Channel],
    upstream: FakeUpstream,
):
    make_channel()
    lines = read_stream(live_gateway, api_key, timeout=10)
    # The connection is closed right after [DONE]: the charge was committed before it.

    assert lines[-1] == "data: [DONE]"
    log = wait_for_usage_log()
    assert (log.input_tokens, log.output_tokens, log.error_class) == (12, 7, "")
    assert LedgerEntry.objects.filter(kind="charge").count() == 1
    assert log.cost == 12 * 1000 + 7 * 2000 == 10**10 - balance_of(customer.pk)
    assert_ledger_invariants()
