"""The console API (/api/console/): the signed-in user's keys, usage logs and balance."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken, User
from billing import ledger
from gateway.models import UsageLog
from tests.conftest import call_v1

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_key_is_created_shown_once_renamed_disabled_enabled_and_deleted(api: Client):
    created = api.post(
        "/api/console/keys/",
        {"name": "ci", "allowed_models": ["gpt-test"], "rpm_limit": 60},
        content_type="application/json",
    )
    assert created.status_code == 201 and created["Cache-Control"] == "no-store"
    key, key_id = created.json()["key"], created.json()["id"]
    assert call_v1("GET", "/v1/models", headers={"x-api-key": key}).status_code == 200
    listed = api.get("/api/console/keys/").json()
    assert [item["name"] for item in listed] == ["ci"] and "key" not in listed[0]
    assert key not in api.get(f"/api/console/keys/{key_id}/").content.decode()

    url = f"/api/console/keys/{key_id}/"
    assert (
        api.patch(url, {"name": "ci-2"}, content_type="application/json").json()["name"] == "ci-2"
    )
    api.patch(url, {"enabled": False}, content_type="application/json")
    assert call_v1("GET", "/v1/models", headers={"x-api-key": key}).status_code == 401
    api.patch(url, {"enabled": True}, content_type="application/json")
    assert call_v1("GET", "/v1/models", headers={"x-api-key": key}).status_code == 200
    assert api.delete(url).status_code == 204
    assert call_v1("GET", "/v1/models", headers={"x-api-key": key}).status_code == 401


def test_key_rules_are_the_consoles(api: Client):
    past = (timezone.now() - timedelta(days=1)).isoformat()
    bad = {"name": "x", "allowed_ips": ["not-an-ip"], "expires_at": past}
    response = api.post("/api/console/keys/", bad, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"allowed_ips", "expires_at"}
    assert not ApiToken.objects.exists()


def test_nobody_sees_or_touches_another_users_keys(api: Client, make_user: Callable[..., User]):
    other = make_user()
    token, _key = ApiToken.objects.issue(user=other, name="theirs")
    assert api.get("/api/console/keys/").json() == []
    for method in ("get", "patch", "delete"):
        assert getattr(api, method)(f"/api/console/keys/{token.pk}/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).enabled


def test_usage_logs_are_filtered_by_date_model_and_key_and_paginated(
    api: Client, user: User, make_user: Callable[..., User]
):
    token, _key = ApiToken.objects.issue(user=user, name="a")
    now = timezone.now()
    for number in range(55):
        UsageLog.objects.create(
            request_id=f"r{number}",
            user=user,
            api_token=token if number % 2 else None,
            endpoint="chat",
            model="m1" if number < 50 else "m2",
            status_code=200,
            latency_ms=1,
            created_at=now - timedelta(days=number // 10),
        )
    UsageLog.objects.create(
        request_id="theirs",
        user=make_user(),
        endpoint="chat",
        model="m1",
        status_code=200,
        latency_ms=1,
    )
    first = api.get("/api/console/usage/").json()
    assert first["count"] == 55 and len(first["results"]) == 50 and first["next"]
    assert api.get("/api/console/usage/?model=m2").json()["count"] == 5
    assert api.get(f"/api/console/usage/?api_key={token.pk}").json()["count"] == 27
    today = now.date().isoformat()
    assert api.get(f"/api/console/usage/?date_from={today}").json()["count"] == 10
    assert api.get("/api/console/usage/?date_to=1999-01-01").json()["count"] == 0
    assert api.get("/api/console/usage/?date_from=yesterday").status_code == 400


def test_the_balance_shows_what_is_held_and_available(api: Client, user: User):
    ledger.adjust_balance(
        user_id=user.pk, amount=5 * 10**9, reason="t", actor_id=None, idempotency_key="t"
    )
    ledger.reserve(user_id=user.pk, amount=10**9, request_id="req_1")

    balance = api.get("/api/console/balance/").json()

    assert balance == {
        "currency": "USD",
        "balance": 5 * 10**9,
        "held": 10**9,
        "available": 4 * 10**9,
        "balance_display": "5.00",
        "available_display": "4.00",
    }


def test_the_api_needs_a_session_and_the_schema_is_public(client: Client):
    assert client.get("/api/console/balance/").status_code == 403
    schema = client.get("/api/schema/", headers={"accept": "application/json"})
    assert schema.status_code == 200
    assert "/api/console/keys/" in schema.content.decode()
