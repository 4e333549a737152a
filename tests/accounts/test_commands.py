"""The operator CLI: create_user, create_api_token, create_demo_data."""

from __future__ import annotations

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command

from accounts.models import ApiToken, User
from tests.conftest import call_v1

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_user_makes_a_verified_user_who_can_sign_in(client):
    run("create_user", "--email", "Ops@Example.com", "--password", "correct-horse-battery-9")

    user = User.objects.get(email="ops@example.com")
    assert not user.is_staff
    assert EmailAddress.objects.get(user=user).verified
    response = client.post(
        "/accounts/login/", {"login": "ops@example.com", "password": "correct-horse-battery-9"}
    )
    assert response["Location"] == "/"


def test_create_user_can_make_staff():
    run("create_user", "--email", "staff@example.com", "--staff")

    user = User.objects.get(email="staff@example.com")
    assert user.is_staff
    assert not user.is_superuser
    assert not user.has_usable_password()


def test_create_user_refuses_duplicates_and_bad_emails():
    run("create_user", "--email", "dup@example.com")

    with pytest.raises(CommandError, match="already exists"):
        run("create_user", "--email", "DUP@example.com")
    with pytest.raises(CommandError, match="Not a valid email"):
        run("create_user", "--email", "not-an-email")


def test_create_api_token_prints_a_working_key_alone_on_the_last_line():
    run("create_user", "--email", "cli@example.com")

    output = run(
        "create_api_token", "--email", "cli@example.com", "--name", "ci", "--models", "a,b"
    )

    key = output.strip().splitlines()[-1]
    token = ApiToken.objects.get(user__email="cli@example.com")
    assert (token.name, token.allowed_models) == ("ci", ["a", "b"])
    assert (
        call_v1("GET", "/v1/models", headers={"authorization": f"Bearer {key}"}).status_code == 200
    )


def test_create_api_token_refuses_unknown_users():
    with pytest.raises(CommandError, match="No user"):
        run("create_api_token", "--email", "ghost@example.com")


def test_demo_data_is_created_once_and_printed_every_time():
    first = run("create_demo_data")
    second = run("create_demo_data")

    assert first == second
    assert "admin@example.com / tokengate-admin" in first
    assert User.objects.get(email="admin@example.com").is_superuser
    assert User.objects.filter(email="demo@example.com", is_superuser=False).count() == 1


def test_demo_data_is_refused_in_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="development only"):
        run("create_demo_data")
