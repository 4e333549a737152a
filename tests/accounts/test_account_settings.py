"""Preferences, language switching and account closure."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import ApiToken, Preferences, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in_client(user: User) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def reauthenticate(client: Client) -> None:
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302


def test_preferences_change_the_language_and_time_zone_of_the_console(client: Client, user: User):
    client.force_login(user)

    response = client.post(
        "/settings/preferences/",
        {"language": "fr", "time_zone": "Europe/Paris", "default_model": "deepseek-chat"},
    )

    assert response.status_code == 302
    assert response.cookies["django_language"].value == "fr"
    preferences = Preferences.objects.get(user=user)
    assert (preferences.language, preferences.time_zone) == ("fr", "Europe/Paris")
    assert not preferences.product_updates
    page = client.get("/keys/", headers={"accept-language": "en"})
    assert page["Content-Language"] == "fr"
    with translation.override("fr"):
        assert gettext("API keys") != "API keys"
        assert gettext("API keys") in page.content.decode()


def test_the_profile_keeps_the_display_name_on_the_user(client: Client, user: User):
    client.force_login(user)

    client.post(
        "/settings/preferences/",
        {"display_name": "Alice L.", "language": "en", "time_zone": "Asia/Tokyo"},
    )

    user.refresh_from_db()
    assert user.display_name == "Alice L."
    page = client.get("/settings/preferences/").content.decode()
    assert 'value="Alice L."' in page
    assert "Service notices about your account" in page


def test_preferences_reject_an_unknown_time_zone(client: Client, user: User):
    client.force_login(user)

    response = client.post("/settings/preferences/", {"language": "en", "time_zone": "Mars/Base"})

    assert response.status_code == 200
    assert Preferences.objects.for_user(user).time_zone == "UTC"


def test_the_language_switcher_works_signed_out_and_remembers_signed_in(client: Client, user: User):
    response = client.post("/language/", {"language": "ja", "next": "/accounts/login/"})
    assert response["Location"] == "/accounts/login/"
    assert client.get("/accounts/login/")["Content-Language"] == "ja"

    client.force_login(user)
    client.post("/language/", {"language": "ru", "next": "https://evil.example/"})
    assert Preferences.objects.get(user=user).language == "ru"


def test_closing_an_account_deactivates_it_revokes_keys_and_ends_every_session(
    make_user: Callable, make_key: Callable
):
    user = make_user(password=PASSWORD)
    make_key(user)
    laptop, phone = signed_in_client(user), signed_in_client(user)
    phone_session = phone.session.session_key
    assert UserSession.objects.filter(user=user).count() == 2

    reauthenticate(laptop)
    response = laptop.post("/settings/close/", {"confirm": "on"})

    assert response["Location"] == "/"
    user.refresh_from_db()
    assert not user.is_active
    assert user.closed_at is not None
    assert not ApiToken.objects.filter(user=user).exists()
    assert not UserSession.objects.filter(user=user).exists()
    assert not Session.objects.filter(session_key=phone_session).exists()
    assert phone.get("/keys/").status_code == 302
    login = Client().post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert login["Location"] == "/accounts/inactive/"


def test_closing_an_account_needs_the_confirmation_box(make_user: Callable):
    user = make_user(password=PASSWORD)
    client = signed_in_client(user)
    reauthenticate(client)

    response = client.post("/settings/close/", {})

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.is_active
    assert user.closed_at is None


def test_closing_an_account_asks_for_the_password_again(make_user: Callable):
    user = make_user(password=PASSWORD)
    client = signed_in_client(user)

    response = client.post("/settings/close/", {"confirm": "on"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    user.refresh_from_db()
    assert user.is_active
