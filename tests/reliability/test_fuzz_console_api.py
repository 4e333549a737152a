"""Fuzzing row: schemathesis against the console API's own OpenAPI schema (drf-spectacular),
in-process through Django's test client, signed in with a session and a CSRF token. No request
may cause a server error or an answer that breaks the schema; nobody reaches another user's
keys."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from django.test import Client

from accounts.models import ApiToken, User
from accounts.services import create_user

pytestmark = pytest.mark.django_db


def load_schema() -> dict[str, Any]:
    response = Client().get("/api/schema/", headers={"accept": "application/json"})
    return dict(json.loads(response.content))


schema = schemathesis.openapi.from_dict(load_schema())


@pytest.fixture
def signed_in(db: None) -> tuple[Client, User]:
    """A signed-in user's client (CSRF enforced), and a stranger with a key of their own."""
    user = create_user(email="fuzz@example.com")
    stranger = create_user(email="stranger@example.com")
    ApiToken.objects.issue(user=stranger, name="not yours")
    ApiToken.objects.issue(user=user, name="mine")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies["csrftoken"] = "k" * 32  # any well-formed token: cookie and header agree
    return client, stranger


def send(client: Client, case: Any) -> httpx.Response:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    body = kwargs.get("json")
    response = client.generic(
        kwargs["method"],
        httpx.URL(kwargs["url"]).copy_merge_params(kwargs.get("params") or {}).raw_path.decode(),
        data=json.dumps(body) if "json" in kwargs else (kwargs.get("data") or b""),
        content_type=(kwargs.get("headers") or {}).get("Content-Type", "application/json"),
        headers={"X-CSRFToken": "k" * 32},
    )
    answer = httpx.Response(
        response.status_code,
        headers=dict(response.items()),
        content=response.content,
        request=httpx.Request(kwargs["method"], kwargs["url"]),
    )
    answer.elapsed = timedelta(0)  # schemathesis reads it; an in-process call takes no time
    return answer


@schema.parametrize()
def test_the_console_api_survives_fuzzing(case: Any, signed_in: tuple[Client, User]):
    client, stranger = signed_in
    theirs = set(ApiToken.objects.filter(user=stranger).values_list("pk", "name", "enabled"))

    response = send(client, case)

    # Business rules beyond the schema (an expiry in the future) may refuse valid shapes.
    case.validate_response(response, excluded_checks=[schemathesis.checks.positive_data_acceptance])
    assert set(ApiToken.objects.filter(user=stranger).values_list("pk", "name", "enabled")) == (
        theirs
    )


def test_the_console_api_refuses_writes_without_a_csrf_token(signed_in: tuple[Client, User]):
    client, _stranger = signed_in
    response = client.post("/api/console/keys/", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
