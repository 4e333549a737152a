"""The Operator's system health page in admin."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from gateway.models import Channel, UsageLog

pytestmark = pytest.mark.django_db
PAGE = "/admin/system-health/"


def client_of(make_user: Callable, role: str) -> Client:
    member = make_user(staff=True)
    member.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(member)
    return client


def log(request_id: str, status: int, latency: int, age: timedelta) -> None:
    UsageLog.objects.create(
        request_id=request_id,
        endpoint="chat",
        model="m",
        status_code=status,
        latency_ms=latency,
        created_at=timezone.now() - age,
    )


def test_operators_see_services_and_the_last_hour_of_traffic(make_user: Callable):
    Channel.objects.create(name="a", provider="openai", base_url="https://a.example", enabled=True)
    Channel.objects.create(name="b", provider="openai", base_url="https://b.example", enabled=False)
    log("r1", 200, 100, timedelta(minutes=5))
    log("r2", 502, 300, timedelta(minutes=10))
    log("r3", 500, 900, timedelta(hours=2))  # Older than the hour.

    response = client_of(make_user, "Operator").get(PAGE)

    assert response.status_code == 200
    assert response.context["checks"]["database"] == "ok"
    traffic = response.context["traffic"]
    assert (traffic.channels_enabled, traffic.channels_total) == (1, 2)
    assert (traffic.requests, traffic.server_errors, traffic.mean_latency_ms) == (2, 1, 200)
    assert PAGE in client_of(make_user, "Operator").get("/admin/").content.decode()


def test_other_roles_do_not_see_system_health(make_user: Callable):
    support = client_of(make_user, "Support")

    assert support.get(PAGE).status_code == 403
    assert PAGE not in support.get("/admin/").content.decode()
