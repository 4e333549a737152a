"""Fuzzing row: schemathesis against the console API's own OpenAPI schema (drf-spectacular),
in-process, signed in with a session and a CSRF token. No request may cause a server error or
an answer that breaks the schema; a user never reaches someone else's keys."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.test import Client

from accounts.models import ApiToken, User
from accounts.services import create_user

pytestmark = pytest.mark.django_db

CSRF_TOKEN = "k" * 32  # any well-formed token works when cookie and header agree

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def session(db: None) -> dict[str, Any]:
    """A signed-in user's cookies and headers, and a stranger whose keys must stay hidden."""
    user = User.objects.filter(email="fuzz@example.com").first() or create_user(
        email="fuzz@example.com"
    )
    stranger = User.objects.filter(email="stranger@example.com").first() or create_user(
        email="stranger@example.com"
    )
    if not ApiToken.objects.filter(user=stranger).exists():
        ApiToken.objects.issue(user=stranger, name="not yours")
        ApiToken.objects.issue(user=user, name="mine")
    client = Client()
    client.force_login(user)
    return {
        "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF_TOKEN},
        "headers": {"X-CSRFToken": CSRF_TOKEN},
        "stranger": stranger,
    }


@schema.parametrize()
def test_the_console_api_survives_fuzzing(case: Any, session: dict[str, Any]):
    stranger_keys = set(ApiToken.objects.filter(user=session["stranger"]).values_list("pk", "name"))

    case.call_and_validate(
        cookies=session["cookies"],
        headers=session["headers"],
        # Business rules beyond the schema (an expiry in the future) may refuse valid shapes.
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )

    assert set(ApiToken.objects.filter(user=session["stranger"]).values_list("pk", "name")) == (
        stranger_keys
    )


def test_the_console_api_refuses_writes_without_a_csrf_token(session: dict[str, Any]):
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = session["cookies"]["sessionid"]
    response = client.post("/api/console/keys/", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
