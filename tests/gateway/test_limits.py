"""Per-key limits on /v1: requests and tokens per minute, and spending limits."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import openai
import pytest

from accounts.models import User
from billing.models import Hold
from gateway import limits
from gateway.models import UsageLog
from tests.gateway.conftest import MODEL
from tests.gateway.test_proxy import MESSAGES, client

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every request of a test falls in one window, 42 seconds before it ends.
    monkeypatch.setattr(limits, "window", lambda now=None: (29_000_000, 42))


def redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.2).close()
    except OSError:
        return False
    return True


@pytest.fixture(params=["in-process", "redis"])
def limiter_store(request: pytest.FixtureRequest, settings: Any) -> str:
    if request.param == "redis":
        if not redis_reachable():
            pytest.skip("no Redis on 127.0.0.1:6379")
        settings.REDIS_URL = "redis://127.0.0.1:6379/15"
        import redis

        redis.Redis.from_url(settings.REDIS_URL).flushdb()
    else:
        settings.REDIS_URL = ""
    return request.param


def test_requests_beyond_the_keys_rpm_get_a_429_with_retry_after(
    live_gateway: str,
    limiter_store: str,
    customer: User,
    make_channel: Callable,
    make_key: Callable,
):
    make_channel()
    gateway = client(live_gateway, make_key(customer, rpm_limit=2))

    for _ in range(2):
        gateway.chat.completions.create(model=MODEL, messages=MESSAGES)
    with pytest.raises(openai.RateLimitError) as refused:
        gateway.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert refused.value.response.headers["retry-after"] == "42"
    assert refused.value.code == "rate_limit_exceeded"
    assert Hold.objects.count() == UsageLog.objects.count() == 2


def test_tokens_beyond_the_keys_tpm_get_a_429(
    live_gateway: str,
    limiter_store: str,
    customer: User,
    make_channel: Callable,
    make_key: Callable,
):
    make_channel()
    # The fake upstream reports 12 + 7 = 19 tokens a request.
    gateway = client(live_gateway, make_key(customer, tpm_limit=30))

    gateway.chat.completions.create(model=MODEL, messages=MESSAGES)
    gateway.chat.completions.create(model=MODEL, messages=MESSAGES)
    with pytest.raises(openai.RateLimitError):
        gateway.chat.completions.create(model=MODEL, messages=MESSAGES)


def test_a_key_without_limits_is_not_limited(
    live_gateway: str, limiter_store: str, customer: User, make_channel: Callable, api_key: str
):
    make_channel()
    gateway = client(live_gateway, api_key)

    for _ in range(5):
        gateway.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert UsageLog.objects.count() == 5


def test_limits_fail_closed_when_redis_is_down(
    live_gateway: str, customer: User, make_channel: Callable, make_key: Callable, settings: Any
):
    make_channel()
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # Nothing listens on the discard port.

    with pytest.raises(openai.InternalServerError) as refused:
        client(live_gateway, make_key(customer, rpm_limit=5)).chat.completions.create(
            model=MODEL, messages=MESSAGES
        )

    assert refused.value.status_code == 503
    assert not Hold.objects.exists()


def test_a_key_past_its_spending_limit_is_refused(
    live_gateway: str, customer: User, make_channel: Callable, make_key: Callable
):
    make_channel()
    # Two small requests cost 2 x $0.000026; a third without max_tokens holds 4096 output
    # tokens at $2 per million ($0.0082), which would take the key past its $0.0082 limit.
    gateway = client(live_gateway, make_key(customer, spending_limit=8_200_000))

    gateway.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=100)
    gateway.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=100)
    with pytest.raises(openai.PermissionDeniedError) as refused:
        gateway.chat.completions.create(model=MODEL, messages=MESSAGES)

    assert refused.value.code == "spending_limit_reached"
