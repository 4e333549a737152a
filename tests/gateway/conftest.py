"""A live gateway (uvicorn in a thread, real HTTP) and a fake upstream for /v1 tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

from accounts.models import ApiToken, Preferences, User
from billing import ledger
from billing.models import Price, Wallet
from billing.money import to_nanos
from config.asgi import application
from gateway.models import Channel, UsageLog
from tests.fakes.upstream import FakeUpstream

MODEL = "gpt-test"
# $1 per million input tokens and $2 per million output tokens.
INPUT_PRICE, OUTPUT_PRICE = to_nanos("1"), to_nanos("2")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve_gateway(**options: Any) -> Iterator[str]:
    """The real ASGI application served over loopback in a thread; yields its /v1 base URL.

    `options` go to uvicorn (proxy headers, for instance)."""
    port = free_port()
    config = uvicorn.Config(
        application, host="127.0.0.1", port=port, log_level="warning", **options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_gateway(settings: Any) -> Iterator[str]:
    """The real ASGI application served over loopback; yields its /v1 base URL."""
    settings.UPSTREAM_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8"]
    with serve_gateway() as url:
        yield url


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def make_channel(upstream: FakeUpstream) -> Callable[..., Channel]:
    def make(name: str = "primary", *, fake: FakeUpstream | None = None, **fields: Any) -> Channel:
        values: dict[str, Any] = {
            "provider": "openai",
            "base_url": (fake or upstream).base_url,
            "api_key": f"sk-upstream-secret-{name}",
            "served_models": [MODEL],
            "read_timeout": 5,
        }
        return Channel.objects.create(name=name, **{**values, **fields})

    return make


@pytest.fixture
def customer(make_user: Callable[..., User]) -> User:
    user = make_user("customer@example.com")
    Price.objects.create(
        model=MODEL, input_per_million=INPUT_PRICE, output_per_million=OUTPUT_PRICE
    )
    ledger.adjust_balance(
        user_id=user.pk, amount=to_nanos("10"), reason="test", actor_id=None, idempotency_key="t"
    )
    return user


@pytest.fixture
def api_key(customer: User) -> str:
    _token, raw_key = ApiToken.objects.issue(user=customer, name="test")
    return raw_key


@pytest.fixture
def make_log() -> Callable[..., UsageLog]:
    """A usage log of `user`: a 200 for gpt-test of 12 input and 7 output tokens by default."""
    counter = iter(range(1, 100_000))

    def make(user: User, **fields: Any) -> UsageLog:
        values: dict[str, Any] = {
            "request_id": f"req_{next(counter)}",
            "endpoint": "chat",
            "model": MODEL,
            "status_code": 200,
            "latency_ms": 120,
            "input_tokens": 12,
            "output_tokens": 7,
            "cost": 26_000,
        }
        return UsageLog.objects.create(user=user, **{**values, **fields})

    return make


@pytest.fixture
def make_user_in(make_user: Callable[..., User]) -> Callable[[str], User]:
    """A user whose preferences put them in the time zone `zone`."""

    def make(zone: str) -> User:
        user = make_user()
        preferences = Preferences.objects.for_user(user)
        preferences.time_zone = zone
        preferences.save()
        return user

    return make


def set_balance(user: User, amount: int) -> None:
    # Through the ledger, as every balance change: Redis mirrors what the ledger announces.
    ledger.adjust_balance(
        user_id=user.pk,
        amount=amount - balance_of(user),
        reason="test",
        actor_id=None,
        idempotency_key=f"set-{amount}",
    )


def balance_of(user: User) -> int:
    return Wallet.objects.get(pk=user.pk).balance
