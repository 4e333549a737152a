"""Holds in Redis (production): the balance mirror, its reload, and holds that outlive workers.

These run only where Redis is reachable (always in CI); tests/gateway/test_proxy.py covers
the same requests end to end in whichever mode the suite runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import openai
import pytest
import redis
from asgiref.sync import async_to_sync
from django.core.management import call_command

from accounts.models import ApiToken, User
from billing.models import Hold, LedgerEntry, Wallet
from gateway.holds import RedisHolds
from gateway.models import UsageLog
from tests.gateway.conftest import MODEL
from tests.gateway.test_limits import redis_reachable
from tests.gateway.test_proxy import MESSAGES, client, exact_cost

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(autouse=True)
def _redis_holds(settings: Any) -> None:
    if not redis_reachable():
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.REDIS_URL = REDIS_URL
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_a_top_up_is_spendable_at_once(
    live_gateway: str,
    customer: User,
    make_user: Callable,
    make_key: Callable,
    make_channel: Callable,
):
    make_channel()  # the customer fixture prices the model
    broke = make_user("broke@example.com")
    gateway = client(live_gateway, make_key(broke))
    with pytest.raises(openai.APIStatusError) as refused:
        gateway.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert refused.value.status_code == 402

    call_command("credit", email=broke.email, amount="1.00", reason="test")

    gateway.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert Wallet.objects.get(pk=broke.pk).balance == 10**9 - exact_cost(12, 7)


def test_requests_are_charged_once_and_the_ledger_matches_the_wallet(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable
):
    make_channel()
    gateway = client(live_gateway, api_key)

    for _ in range(3):
        gateway.chat.completions.create(model=MODEL, messages=MESSAGES)

    wallet = Wallet.objects.get(pk=customer.pk)
    assert wallet.balance == sum(
        LedgerEntry.objects.filter(wallet=wallet).values_list("amount", flat=True)
    )
    assert LedgerEntry.objects.filter(kind="charge").count() == 3 == UsageLog.objects.count()
    assert set(Hold.objects.values_list("status", flat=True)) == {Hold.Status.SETTLED}
    assert wallet.held == 0


def test_a_lost_mirror_is_reloaded_from_the_database(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable
):
    make_channel()
    gateway = client(live_gateway, api_key)
    gateway.chat.completions.create(model=MODEL, messages=MESSAGES)
    before = Wallet.objects.get(pk=customer.pk).balance

    redis.Redis.from_url(REDIS_URL).flushdb()  # as after a Redis restart
    gateway.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert Wallet.objects.get(pk=customer.pk).balance == before - exact_cost(12, 7)


def test_a_hold_whose_worker_died_gives_the_money_back_when_it_expires(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable, settings: Any
):
    make_channel()
    gateway = client(live_gateway, api_key)
    gateway.chat.completions.create(model=MODEL, messages=MESSAGES)
    balance = Wallet.objects.get(pk=customer.pk).balance
    settings.HOLD_TTL = timedelta(seconds=1)
    token = ApiToken.objects.get(user=customer)

    async def hold_everything() -> None:
        # A worker admitted a request for the whole balance, then died before settling it.
        await RedisHolds(REDIS_URL).admit(token, amount=balance, request_id="req_dead")

    async_to_sync(hold_everything)()
    with pytest.raises(openai.APIStatusError) as refused:
        gateway.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert refused.value.status_code == 402

    time.sleep(1.2)
    gateway.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert not LedgerEntry.objects.filter(request_id="req_dead").exists()


def test_after_a_request_redis_holds_nothing_and_mirrors_the_committed_balance(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable
):
    make_channel()
    gateway = client(live_gateway, api_key)

    for _ in range(2):
        gateway.chat.completions.create(model=MODEL, messages=MESSAGES)

    store = redis.Redis.from_url(REDIS_URL)
    prefix = f"tokengate:wallet:{customer.pk}"
    wallet = Wallet.objects.get(pk=customer.pk)
    newest = LedgerEntry.objects.filter(wallet=wallet).latest("id")
    assert store.hmget(f"{prefix}:balance", "b", "v") == [
        str(wallet.balance).encode(),
        str(newest.pk).encode(),
    ]
    assert int(store.get(f"{prefix}:held") or 0) == 0
    assert store.zcard(f"{prefix}:holds") == 0 == store.hlen(f"{prefix}:hold-amounts")


def test_a_request_that_takes_the_balance_below_the_alert_threshold_emails_once(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable, mailoutbox: list
):
    make_channel()
    balance = Wallet.objects.get(pk=customer.pk).balance
    # The first request takes the balance just below the threshold, the second further down.
    Wallet.objects.filter(pk=customer.pk).update(low_balance_threshold=balance - 1)
    gateway = client(live_gateway, api_key)

    for _ in range(2):
        gateway.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert [message.to for message in mailoutbox] == [[customer.email]]
    assert Wallet.objects.get(pk=customer.pk).low_balance_alerted

    Wallet.objects.filter(pk=customer.pk).update(low_balance_threshold=1)
    gateway.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert not Wallet.objects.get(pk=customer.pk).low_balance_alerted  # re-armed
    assert len(mailoutbox) == 1
