"""Prometheus /metrics, request ids and structured logs that never carry secrets."""

from __future__ import annotations

import io
import json
import logging
import os
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import httpx
import openai
import pytest
from django.test import Client as DjangoClient
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import User
from billing import ledger
from config import logs
from gateway.models import UsageLog
from privacy.models import DataSubjectRequest
from privacy.tasks import run_retention
from tests.conftest import call_v1
from tests.fakes.upstream import FakeUpstream, Reply
from tests.gateway.conftest import MODEL

METRICS_TOKEN = "metrics-token-for-tests"


def scrape(**options: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = call_v1("GET", "/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200, response.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


@pytest.fixture
def metrics_token(settings: Any) -> None:
    settings.METRICS_TOKEN = METRICS_TOKEN


@pytest.mark.django_db
def test_metrics_do_not_exist_until_configured(settings: Any):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", []

    assert call_v1("GET", "/metrics").status_code == 404
    assert call_v1("GET", "/metrics", headers={"authorization": "Bearer x"}).status_code == 404


@pytest.mark.django_db
def test_metrics_need_the_token_or_an_allowed_network(settings: Any):
    settings.METRICS_TOKEN = METRICS_TOKEN
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]

    assert call_v1("GET", "/metrics").status_code == 403
    assert call_v1("GET", "/metrics", headers={"authorization": "Bearer wrong"}).status_code == 403
    assert call_v1("GET", "/metrics", client_ip="192.0.2.1").status_code == 403
    assert call_v1("GET", "/metrics", client_ip="10.1.2.3").status_code == 200
    authorised = call_v1("GET", "/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"})
    assert authorised.status_code == 200
    assert "tokengate_holds_outstanding" in authorised.text


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_gateway_requests_and_upstream_failures_are_counted(
    metrics_token: None,
    live_gateway: str,
    api_key: str,
    customer: User,
    make_channel: Callable,
    upstream: FakeUpstream,
):
    make_channel("flaky", priority=10)
    with FakeUpstream() as healthy:
        make_channel("healthy", fake=healthy)
        ok = (("model", MODEL), ("status", "200"))
        flaky = (("channel", "flaky"), ("reason", "upstream_error"))
        before = scrape()
        upstream.script(Reply(status=500))

        gateway = openai.OpenAI(base_url=live_gateway, api_key=api_key, max_retries=0)
        gateway.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])

        after = scrape()
    assert (
        after[("tokengate_gateway_requests_total", ok)]
        == before.get(("tokengate_gateway_requests_total", ok), 0) + 1
    )
    assert after[("tokengate_gateway_request_seconds_count", ok)] >= 1
    assert (
        after[("tokengate_upstream_errors_total", flaky)]
        == before.get(("tokengate_upstream_errors_total", flaky), 0) + 1
    )
    cooldowns = ("tokengate_channel_cooldowns_total", (("channel", "flaky"),))
    assert after[cooldowns] == before.get(cooldowns, 0) + 1


@pytest.mark.django_db
def test_gauges_are_read_from_the_database_at_scrape_time(
    metrics_token: None, settings: Any, make_user: Callable
):
    user = make_user()
    ledger.adjust_balance(
        user_id=user.pk, amount=10**9, reason="test", actor_id=None, idempotency_key="g"
    )
    ledger.reserve(user_id=user.pk, amount=1234, request_id="req_open")
    overdue = timezone.now() - timedelta(days=90)
    for received_at in (overdue, timezone.now() - timedelta(days=25), timezone.now()):
        DataSubjectRequest.objects.create(
            email="x@example.com", regime="gdpr", kind="access", language="en",
            received_at=received_at,
        )  # fmt: skip
    UsageLog.objects.create(
        request_id="old", user=user, endpoint="chat", model=MODEL, status_code=200,
        latency_ms=1, created_at=timezone.now() - timedelta(days=400),
    )  # fmt: skip
    run_retention.delay()

    samples = scrape()

    assert samples[("tokengate_holds_outstanding", ())] == 1
    assert samples[("tokengate_holds_outstanding_nanos", ())] == 1234
    assert samples[("tokengate_dsar_overdue", ())] == 1
    assert samples[("tokengate_dsar_due_soon", ())] == 1
    assert samples[("tokengate_retention_purged", (("policy", "usage_logs"),))] == 1
    assert samples[("tokengate_retention_last_run_timestamp_seconds", ())] > 0
    if settings.CELERY_BROKER_URL.startswith("redis://"):
        assert ("tokengate_celery_queue_length", (("queue", "celery"),)) in samples


@pytest.mark.django_db
def test_every_response_carries_a_request_id(user: User):
    unauthorised = call_v1("GET", "/v1/models")
    browser = DjangoClient()
    browser.force_login(user)
    page = browser.get("/settings/preferences/")

    assert unauthorised.headers["x-request-id"].startswith("req_")
    assert page["X-Request-Id"].startswith("req_")
    assert page["X-Request-Id"] != unauthorised.headers["x-request-id"]


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything logged at any level, formatted as production formats it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    # The official client in this same process logs what it sends at DEBUG: not our logs.
    handler.addFilter(lambda record: not record.name.startswith("openai"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


SENTINEL_PROMPT = "sentinel-prompt-7f3a9c"
SENTINEL_EMAIL = "sentinel.person.7f3a9c@example.com"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_logs_are_json_lines_and_no_prompts_keys_or_emails(
    json_log: io.StringIO, live_gateway: str, make_user: Callable, make_channel: Callable,
    upstream: FakeUpstream, customer: User, make_key: Callable,
):  # fmt: skip
    person = make_user(SENTINEL_EMAIL)
    ledger.adjust_balance(
        user_id=person.pk, amount=10**10, reason="test", actor_id=None, idempotency_key="s"
    )
    key = make_key(person)
    make_channel()
    upstream.script(Reply(), Reply(status=500))
    gateway = openai.OpenAI(base_url=live_gateway, api_key=key, max_retries=0)
    messages: Any = [{"role": "user", "content": SENTINEL_PROMPT}]

    answered = gateway.chat.completions.with_raw_response.create(model=MODEL, messages=messages)
    with pytest.raises(openai.APIStatusError) as failed:
        gateway.chat.completions.create(model=MODEL, messages=messages)
    request_ids = {
        answered.headers["x-request-id"],
        failed.value.response.headers["x-request-id"],
    }
    httpx.post(
        f"{live_gateway}/chat/completions",
        headers={"authorization": f"Bearer {key}x"},
        json={"model": MODEL, "messages": messages},
    )
    DjangoClient().post("/accounts/login/", {"login": SENTINEL_EMAIL, "password": "wrong"})
    DjangoClient().get("/privacy/exports/sentinel-export-token-7f3a9c/")
    # Even a careless log call is masked.
    logging.getLogger("tests").warning("user %s used %s", SENTINEL_EMAIL, key)

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    text = json_log.getvalue()
    assert lines
    assert SENTINEL_PROMPT not in text
    assert key not in text and key[:20] not in text
    assert SENTINEL_EMAIL not in text and "sentinel.person" not in text
    assert "sentinel-export-token" not in text
    finished = [line for line in lines if line["logger"] == "tokengate.requests"]
    console = [line for line in finished if "/v1/" not in line["message"]]
    assert [line["message"].split()[:3] for line in console] == [
        ["POST", "/accounts/login/", "200"],
        ["GET", "/privacy/exports/<str:token>/", "302"],
    ]
    # /v1 requests write no access line (the usage log is their record, bench/README.md)...
    assert console == finished
    # ...but answer with their request id, the usage log's key.
    assert set(UsageLog.objects.values_list("request_id", flat=True)) == request_ids


# Earlier tests left threads (live servers); the child only writes to a pipe and exits.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_request_ids_are_random_and_never_repeat_across_a_fork():
    ids = {logs.new_request_id() for _ in range(10_000)}  # crosses a refill of the pool
    assert len(ids) == 10_000
    assert all(re.fullmatch(r"req_[0-9a-f]{32}", request_id) for request_id in ids)

    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the child reports the ids it would give next, then leaves at once
        os.write(writer, " ".join(logs.new_request_id() for _ in range(3)).encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(child, 0)
    childs = set(os.read(reader, 4096).decode().split())
    assert len(childs) == 3
    assert childs.isdisjoint({logs.new_request_id() for _ in range(3)})
