"""Password reset, password change and the login rate limit (allauth, on our cache)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "another-horse-battery-7"


def test_a_forgotten_password_is_reset_through_an_emailed_link(client: Client, make_user: Callable):
    user = make_user(password=PASSWORD)

    client.post("/accounts/password/reset/", {"email": user.email})
    link = re.search(
        r"http://testserver(/accounts/password/reset/key/\S+/)", str(mail.outbox[0].body)
    )
    assert link, mail.outbox[0].body
    form_page = client.get(link.group(1))
    client.post(form_page["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    login = Client().post("/accounts/login/", {"login": user.email, "password": NEW_PASSWORD})
    assert login["Location"] == "/"


def test_a_signed_in_user_changes_their_password(client: Client, make_user: Callable):
    user = make_user(password=PASSWORD)
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})

    client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_repeated_failed_logins_are_rate_limited(client: Client, make_user: Callable):
    user = make_user(password=PASSWORD)
    for _attempt in range(5):
        client.post("/accounts/login/", {"login": user.email, "password": "wrong-password"})

    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
