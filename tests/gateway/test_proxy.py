"""The /v1 API end to end: the official openai client, a live gateway, a fake upstream."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from django.db import connection
from django.test import Client as DjangoClient
from openai.types.chat import ChatCompletionMessageParam

from accounts.models import User
from billing.models import Hold, LedgerEntry, Plan, Wallet
from gateway.models import Channel, UsageLog
from tests.fakes.upstream import FakeUpstream, Reply
from tests.gateway.conftest import INPUT_PRICE, MODEL, OUTPUT_PRICE, balance_of, set_balance

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
TEN_DOLLARS = 10 * 10**9
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say hello."}]


def client(base_url: str, key: str, **options: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, **options)


def exact_cost(prompt_tokens: int, completion_tokens: int) -> int:
    """The price of the fake's usage, rounded up once, as billing promises."""
    total = prompt_tokens * INPUT_PRICE + completion_tokens * OUTPUT_PRICE
    return -(-total // 1_000_000)


def test_a_chat_completion_is_answered_and_billed_at_the_upstreams_usage(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable, upstream: FakeUpstream
):
    make_channel()

    completion = client(live_gateway, api_key).chat.completions.create(
        model=MODEL, messages=MESSAGES
    )

    assert completion.choices[0].message.content == Reply().content
    assert completion.model == MODEL
    cost = exact_cost(12, 7)
    assert balance_of(customer) == TEN_DOLLARS - cost
    log = UsageLog.objects.get()
    assert (log.input_tokens, log.output_tokens, log.cost, log.status_code) == (12, 7, cost, 200)
    assert not log.usage_counted_locally
    assert LedgerEntry.objects.filter(kind="charge", amount=-cost).count() == 1
    assert Wallet.objects.get(pk=customer.pk).held == 0
    sent = upstream.requests[0]
    assert sent.headers["authorization"] == "Bearer sk-upstream-secret-primary"
    assert sent.body["model"] == MODEL


def test_a_channel_maps_the_public_model_name_to_the_upstreams(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable, upstream: FakeUpstream
):
    make_channel(model_mapping={MODEL: "ep-20260101-abcdef"})

    completion = client(live_gateway, api_key).chat.completions.create(
        model=MODEL, messages=MESSAGES
    )

    assert upstream.requests[0].body["model"] == "ep-20260101-abcdef"
    assert completion.model == MODEL


def test_a_stream_arrives_chunk_by_chunk_and_is_billed_once(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable, upstream: FakeUpstream
):
    make_channel()
    upstream.replies.append(Reply(chunks=4, gap=0.25))

    arrivals, pieces = [], []
    stream = client(live_gateway, api_key).chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True
    )
    started = time.monotonic()
    for chunk in stream:
        assert chunk.usage is None  # The client did not ask for usage, so it gets none.
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(time.monotonic() - started)
            pieces.append(chunk.choices[0].delta.content)

    assert "".join(pieces) == Reply().content
    assert len(arrivals) == 4
    # Forwarded as the upstream produced them, not buffered until the end.
    assert arrivals[0] < 0.5 < arrivals[-1]
    assert upstream.requests[0].body["stream_options"] == {"include_usage": True}
    assert balance_of(customer) == TEN_DOLLARS - exact_cost(12, 7)
    assert UsageLog.objects.get().first_token_ms is not None


def test_a_client_that_asks_for_usage_gets_the_usage_chunk(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable
):
    make_channel()

    chunks = list(
        client(live_gateway, api_key).chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
    )

    assert chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (12, 7)


def test_an_answer_without_usage_is_billed_by_a_local_count_never_zero(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable, upstream: FakeUpstream
):
    make_channel()
    upstream.replies.append(Reply(usage=None))

    client(live_gateway, api_key).chat.completions.create(model=MODEL, messages=MESSAGES)

    log = UsageLog.objects.get()
    assert log.usage_counted_locally
    assert log.input_tokens >= 1 and log.output_tokens >= 1
    assert 0 < TEN_DOLLARS - balance_of(customer) == log.cost
    assert Hold.objects.get().amount > log.cost


def test_embeddings_and_the_model_list(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable
):
    make_channel(served_models=[MODEL, "embed-test"])
    gateway = client(live_gateway, api_key)

    embedding = gateway.embeddings.create(model=MODEL, input=["one", "two"])
    models = [model.id for model in gateway.models.list()]

    assert len(embedding.data) == 2
    # Only models with a price in force are offered.
    assert models == [MODEL]


@pytest.mark.parametrize(
    ("failure", "error_class"),
    [
        (Reply(status=500), "upstream_error"),
        (Reply(status=429, headers={"retry-after": "1"}), "upstream_unavailable"),
        (Reply(delay=2), "upstream_timeout"),
    ],
)
def test_a_failing_first_channel_fails_over_to_the_next_billed_once(
    live_gateway: str,
    api_key: str,
    customer: User,
    make_channel: Callable,
    upstream: FakeUpstream,
    failure: Reply,
    error_class: str,
):
    with FakeUpstream() as backup:
        make_channel("first", priority=10, read_timeout=0.5)
        make_channel("second", fake=backup, priority=0)
        upstream.replies.append(failure)

        completion = client(live_gateway, api_key).chat.completions.create(
            model=MODEL, messages=MESSAGES
        )

    assert completion.choices[0].message.content == Reply().content
    assert len(backup.requests) == 1
    assert LedgerEntry.objects.filter(kind="charge").count() == 1
    assert UsageLog.objects.get().channel == Channel.objects.get(name="second")


def test_when_every_channel_fails_the_client_gets_a_server_error_and_pays_nothing(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable, upstream: FakeUpstream
):
    make_channel()
    upstream.replies.append(Reply(status=503))

    with pytest.raises(openai.InternalServerError):
        client(live_gateway, api_key).chat.completions.create(model=MODEL, messages=MESSAGES)

    assert balance_of(customer) == TEN_DOLLARS
    assert Hold.objects.get().status == Hold.Status.RELEASED
    assert UsageLog.objects.get().status_code == 502


def test_a_stream_that_breaks_after_output_ends_with_an_error_and_bills_what_was_sent(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable, upstream: FakeUpstream
):
    make_channel()
    upstream.replies.append(Reply(chunks=4, fail_after_chunks=2, usage=None))

    with httpx.stream(
        "POST",
        f"{live_gateway}/chat/completions",
        headers={"Authorization": f"Bearer {api_key}"},
        json={"model": MODEL, "messages": MESSAGES, "stream": True},
        timeout=10,
    ) as response:
        events = [line for line in response.iter_lines() if line.startswith("data:")]

    assert '"error"' in events[-1]
    assert "[DONE]" not in events[-1]
    log = UsageLog.objects.get()
    assert log.error_class == "upstream_stream_broken"
    assert log.output_tokens >= 1
    assert balance_of(customer) == TEN_DOLLARS - log.cost < TEN_DOLLARS
    assert LedgerEntry.objects.filter(kind="charge").count() == 1


def test_a_client_leaving_mid_stream_settles_once_and_cancels_the_upstream(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable, upstream: FakeUpstream
):
    make_channel()
    upstream.replies.append(Reply(chunks=20, gap=0.1))

    with httpx.stream(
        "POST",
        f"{live_gateway}/chat/completions",
        headers={"Authorization": f"Bearer {api_key}"},
        json={"model": MODEL, "messages": MESSAGES, "stream": True},
        timeout=10,
    ) as response:
        for line in response.iter_lines():
            if '"content"' in line:
                break  # Leave after the first piece of output.

    deadline = time.monotonic() + 5
    while not UsageLog.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = UsageLog.objects.get()
    assert log.error_class == "client_disconnected"
    assert LedgerEntry.objects.filter(kind="charge").count() == 1
    assert Wallet.objects.get(pk=customer.pk).held == 0
    assert 0 < log.cost == TEN_DOLLARS - balance_of(customer)
    deadline = time.monotonic() + 5
    while upstream.disconnects == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert upstream.disconnects == 1


def test_each_error_reaches_the_client_as_its_openai_exception(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable
):
    make_channel()
    gateway = client(live_gateway, api_key)

    with pytest.raises(openai.AuthenticationError):
        client(live_gateway, "sk-" + "x" * 48).chat.completions.create(
            model=MODEL, messages=MESSAGES
        )
    with pytest.raises(openai.NotFoundError):
        gateway.chat.completions.create(model="no-such-model", messages=MESSAGES)
    with pytest.raises(openai.BadRequestError):
        gateway.chat.completions.create(model=MODEL, messages=[])
    with pytest.raises(openai.BadRequestError):
        gateway.chat.completions.create(model=MODEL, messages=MESSAGES, n=10_000)
    set_balance(customer, 1)
    with pytest.raises(openai.APIStatusError) as refused:
        gateway.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert refused.value.status_code == 402
    assert refused.value.code == "insufficient_quota"


@pytest.mark.parametrize(
    "body",
    [
        b'{"model": "gpt-test", "messages": [{"role": "user", "content": "x"}], "n": NaN}',
        b'{"model": "gpt-test", "model": "other", "messages": []}',
        b'{"model": "gpt-test", "messages": [], "temperature": 1e999}',
        b"[" * 10_000 + b"]" * 10_000,
        b"{not json",
    ],
)
def test_bad_json_gets_a_400_in_openai_shape_and_costs_nothing(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable, body: bytes
):
    make_channel()

    response = httpx.post(
        f"{live_gateway}/chat/completions",
        content=body,
        headers={"Authorization": f"Bearer {api_key}", "content-type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert balance_of(customer) == TEN_DOLLARS
    assert not Hold.objects.exists()


def test_a_body_over_the_limit_is_refused_with_413(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable, settings: Any
):
    make_channel()
    settings.GATEWAY_MAX_BODY_BYTES = 1000

    response = httpx.post(
        f"{live_gateway}/chat/completions",
        json={"model": MODEL, "messages": [{"role": "user", "content": "x" * 2000}]},
        headers={"Authorization": f"Bearer {api_key}"},
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_a_key_limited_to_other_models_cannot_use_this_one(
    live_gateway: str, customer: User, make_channel: Callable, make_key: Callable
):
    make_channel()
    key = make_key(customer, allowed_models=["something-else"])

    with pytest.raises(openai.NotFoundError):
        client(live_gateway, key).chat.completions.create(model=MODEL, messages=MESSAGES)
    assert client(live_gateway, key).models.list().data == []


def test_secrets_never_reach_logs_error_bodies_or_usage_logs(
    live_gateway: str,
    api_key: str,
    customer: User,
    make_channel: Callable,
    upstream: FakeUpstream,
    caplog: pytest.LogCaptureFixture,
):
    channel = make_channel(api_key="sk-upstream-SENTINEL-9f8e7d")
    upstream.replies.append(Reply(status=400, error_body={"error": {"message": "bad request"}}))

    response = httpx.post(
        f"{live_gateway}/chat/completions",
        json={"model": MODEL, "messages": MESSAGES},
        headers={"Authorization": f"Bearer {api_key}"},
    )

    visible = response.text + caplog.text + repr(list(UsageLog.objects.values()))
    for secret in ("sk-upstream-SENTINEL-9f8e7d", api_key, api_key[13:]):
        assert secret not in visible
    assert response.status_code == 400
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM gateway_channel")
        stored = cursor.fetchone()[0]
    assert "SENTINEL" not in stored  # Encrypted at rest...
    assert (
        Channel.objects.get(pk=channel.pk).api_key == "sk-upstream-SENTINEL-9f8e7d"
    )  # ...and back.


def test_fifty_concurrent_requests_against_a_balance_for_ten_serve_at_most_ten(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    make_channel()
    # The hold (a prompt estimate of 15 tokens and max_tokens=7) exceeds the fake's usage
    # (12 + 7 tokens), so a balance of ten requests' cost can never serve an eleventh.
    set_balance(customer, 10 * exact_cost(12, 7))
    results: list[int] = []

    def request() -> None:
        response = httpx.post(
            f"{live_gateway}/chat/completions",
            json={
                "model": MODEL,
                "messages": [{"role": "user", "content": "x" * 40}],
                "max_tokens": 7,
            },
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=30,
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=request) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert 1 <= results.count(200) <= 10
    assert set(results) <= {200, 402}
    wallet = Wallet.objects.get(pk=customer.pk)
    assert wallet.balance >= 0 and wallet.held == 0
    charges = LedgerEntry.objects.filter(kind="charge").count()
    assert charges == results.count(200) == UsageLog.objects.filter(status_code=200).count()


def test_a_user_whose_processing_is_restricted_is_refused_with_403(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable
):
    make_channel()
    User.objects.filter(pk=customer.pk).update(processing_restricted=True)

    with pytest.raises(openai.PermissionDeniedError) as refused:
        client(live_gateway, api_key).chat.completions.create(model=MODEL, messages=MESSAGES)

    assert refused.value.code == "processing_restricted"
    assert not Hold.objects.exists()


def test_legacy_completions_are_forwarded_and_billed(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable, upstream: FakeUpstream
):
    make_channel()

    completion = client(live_gateway, api_key).completions.create(model=MODEL, prompt="Say hi")

    assert completion.choices[0].text
    assert upstream.requests[0].path == "/v1/completions"
    assert balance_of(customer) == TEN_DOLLARS - exact_cost(12, 7)


def test_admin_pages_never_show_an_upstream_key(
    customer: User, make_channel: Callable, make_user: Callable, settings: Any
):
    settings.UPSTREAM_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8"]
    channel = make_channel(api_key="sk-upstream-ADMIN-SENTINEL")
    staff = DjangoClient()
    staff.force_login(make_user(superuser=True))

    for page in ("/admin/gateway/channel/", f"/admin/gateway/channel/{channel.pk}/change/"):
        body = staff.get(page).content.decode()
        assert "ADMIN-SENTINEL" not in body

    # Saving the form without typing a key keeps the stored one.
    saved = staff.post(
        f"/admin/gateway/channel/{channel.pk}/change/",
        {
            "name": channel.name,
            "provider": "openai",
            "base_url": channel.base_url,
            "api_key": "",
            "served_models": '["gpt-test"]',
            "model_mapping": "{}",
            "priority": "5",
            "weight": "1",
            "enabled": "on",
            "connect_timeout": "10",
            "read_timeout": "5",
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:3000]
    channel.refresh_from_db()
    assert (channel.priority, channel.api_key) == (5, "sk-upstream-ADMIN-SENTINEL")


def test_an_unexpected_failure_before_the_upstream_releases_the_hold_with_a_502(
    live_gateway: str,
    api_key: str,
    customer: User,
    make_channel: Callable,
    monkeypatch: pytest.MonkeyPatch,
):
    make_channel()

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("adapter bug")

    monkeypatch.setattr("gateway.providers.base.Provider.url", broken)

    with pytest.raises(openai.InternalServerError) as failed:
        client(live_gateway, api_key).chat.completions.create(model=MODEL, messages=MESSAGES)

    assert failed.value.status_code == 502
    assert Hold.objects.get().status == Hold.Status.RELEASED
    assert balance_of(customer) == TEN_DOLLARS


def test_an_unexpected_error_anywhere_answers_500_in_openai_shape(
    live_gateway: str, api_key: str, monkeypatch: pytest.MonkeyPatch
):
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("gateway.catalog.get_routing", broken)

    response = httpx.get(f"{live_gateway}/models", headers={"Authorization": f"Bearer {api_key}"})

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"


def test_a_users_plan_multiplies_the_price_of_each_request(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable
):
    make_channel()
    half = Plan.objects.create(name="half price", multiplier="0.5")
    Wallet.objects.filter(pk=customer.pk).update(plan=half)

    client(live_gateway, api_key).chat.completions.create(model=MODEL, messages=MESSAGES)

    assert balance_of(customer) == TEN_DOLLARS - exact_cost(12, 7) // 2
