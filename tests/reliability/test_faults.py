"""Fault rows: failing upstreams, a database or Redis that is down. Each ends in the right
error for the client, failover where it is safe, and a ledger that still adds up."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from billing.models import Hold, LedgerEntry, TopUpOrder
from gateway.models import Channel, UsageLog
from tests.billing.test_payments_stripe import make_order
from tests.conftest import PASSWORD
from tests.fakes import payments as fake_payments
from tests.fakes.upstream import FakeUpstream, Reply
from tests.reliability.conftest import (
    MODEL,
    assert_ledger_invariants,
    assert_openai_error,
    bearer,
    database_down,
    v1,
)

pytestmark = pytest.mark.django_db

CHAT = "/v1/chat/completions"
BODY = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(autouse=True)
def _loopback_upstreams(settings: Any) -> None:
    settings.UPSTREAM_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8"]


@pytest.fixture
def resetting_server() -> Iterator[str]:
    """A server that accepts each connection, reads the request and resets it (TCP RST)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _address = listener.accept()
            except TimeoutError:
                continue
            conn.recv(65536)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    stop.set()
    thread.join(timeout=2)
    listener.close()


def test_a_connection_reset_fails_over_to_the_next_channel_billed_once(
    api_key: str,
    customer: User,
    make_channel: Callable[..., Channel],
    upstream: FakeUpstream,
    resetting_server: str,
):
    make_channel("resets", base_url=resetting_server, priority=10)
    make_channel("healthy", priority=0)

    response = v1(CHAT, json_body=BODY, headers=bearer(api_key))

    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == Reply().content
    assert len(upstream.requests) == 1
    assert LedgerEntry.objects.filter(kind="charge").count() == 1
    assert_ledger_invariants()


def test_a_stream_that_stalls_mid_way_ends_with_an_error_and_bills_what_was_sent(
    api_key: str, customer: User, make_channel: Callable[..., Channel], upstream: FakeUpstream
):
    make_channel(read_timeout=1)
    upstream.script(Reply(content="one two three four", chunks=4, gap=5, usage=None))

    response = v1(CHAT, json_body={**BODY, "stream": True}, headers=bearer(api_key))

    events = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert response.status_code == 200
    assert "one" in events[1] and json.loads(events[-1])["error"]["code"]
    assert "[DONE]" not in events
    log = UsageLog.objects.get()
    assert log.output_tokens > 0 and log.cost > 0
    assert Hold.objects.get().status == Hold.Status.SETTLED
    assert_ledger_invariants()


def test_a_200_carrying_an_error_is_a_502_and_costs_nothing(
    api_key: str,
    customer: User,
    make_channel: Callable[..., Channel],
    upstream: FakeUpstream,
    nothing_charged: Callable[[], None],
):
    make_channel()
    in_band = {"error": {"message": "model overloaded", "type": "server_error"}}
    upstream.script(Reply(status=200, body=in_band))

    assert_openai_error(v1(CHAT, json_body=BODY, headers=bearer(api_key)), 502)
    assert UsageLog.objects.get().cost == 0
    nothing_charged()


def test_with_the_database_down_the_gateway_answers_503_before_any_upstream_call(
    api_key: str, make_channel: Callable[..., Channel], upstream: FakeUpstream
):
    make_channel()
    # Caches warm and the database recently seen healthy, as on a busy worker...
    assert v1(CHAT, json_body=BODY, headers=bearer(api_key)).status_code == 200
    time.sleep(1.1)  # ...and then it goes away (the gateway trusts a settlement for a second)
    upstream.requests.clear()
    before = LedgerEntry.objects.count()
    holds = Hold.objects.count()

    with database_down():
        response = v1(CHAT, json_body=BODY, headers=bearer(api_key))

    error = assert_openai_error(response, 503)
    assert error["type"] == "server_error"
    assert response.headers["retry-after"]
    assert upstream.requests == []
    assert LedgerEntry.objects.count() == before
    assert Hold.objects.count() == holds


def test_with_the_database_down_payment_webhooks_answer_5xx_so_providers_retry(
    user: User, settings: Any
):
    settings.STRIPE_SECRET_KEY = fake_payments.STRIPE_SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = fake_payments.STRIPE_WEBHOOK_SECRET
    settings.PLATFORM_CURRENCY = "USD"
    order = make_order(user)
    body = fake_payments.encode(fake_payments.stripe_session_event(order))
    headers = {"Stripe-Signature": fake_payments.stripe_signature(body)}
    provider = Client(raise_request_exception=False)

    with database_down():
        down = provider.post(
            "/billing/webhooks/stripe/", body, content_type="application/json", headers=headers
        )
    assert down.status_code >= 500
    assert TopUpOrder.objects.get().status == TopUpOrder.Status.PENDING

    retried = provider.post(
        "/billing/webhooks/stripe/", body, content_type="application/json", headers=headers
    )
    assert retried.status_code == 200
    assert TopUpOrder.objects.get().status == TopUpOrder.Status.PAID


def test_with_redis_down_the_console_still_works(
    client: Client, make_user: Callable[..., User], settings: Any
):
    user = make_user(password=PASSWORD)
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "config.cache.RedisWithLocalFallback",
            "LOCATION": settings.REDIS_URL,
        }
    }
    login = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert login.status_code == 302, login.content[:500]
    for page in ("/", "/keys/", "/billing/", "/usage/", "/privacy/requests/"):
        assert client.get(page).status_code == 200, page
    created = client.post("/keys/", {"name": "during the outage"})
    assert created.status_code == 200
    assert b"sk-" in created.content
