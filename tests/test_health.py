"""The probes operators point load balancers at."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import call_v1


@pytest.mark.django_db
def test_healthz_answers_while_the_process_runs():
    response = call_v1("GET", "/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.mark.django_db
def test_readyz_reports_each_dependency(settings: Any):
    settings.REDIS_URL = ""

    response = call_v1("GET", "/readyz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_fails_when_redis_does_not_answer(settings: Any):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"

    response = call_v1("GET", "/readyz")

    assert response.status_code == 503
    assert response.json()["redis"] == "unavailable"
    assert response.json()["database"] == "ok"
