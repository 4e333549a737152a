from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from gateway.models import UsageLog

pytestmark = pytest.mark.django_db


def log_for(user, request_id: str, model: str = "gpt-test") -> UsageLog:
    return UsageLog.objects.create(
        request_id=request_id,
        user=user,
        endpoint="chat",
        model=model,
        status_code=200,
        latency_ms=120,
        input_tokens=12,
        output_tokens=7,
        cost=26_000,
    )


def test_users_see_their_own_usage_and_no_one_elses(client: Client, make_user: Callable):
    me, other = make_user(), make_user()
    log_for(me, "req_mine")
    log_for(other, "req_theirs", model="other-model")
    client.force_login(me)

    page = client.get("/usage/").content.decode()

    assert "gpt-test" in page
    assert "0.000026 USD" in page
    assert "other-model" not in page


def test_usage_can_be_filtered_by_model(client: Client, make_user: Callable):
    me = make_user()
    log_for(me, "req_1", model="alpha")
    log_for(me, "req_2", model="beta")
    client.force_login(me)

    page = client.get("/usage/?model=beta").content.decode()

    assert "<td>beta</td>" in page
    assert "<td>alpha</td>" not in page


def test_the_usage_page_has_an_empty_state(client: Client, make_user: Callable):
    client.force_login(make_user())

    assert "No requests yet." in client.get("/usage/").content.decode()
