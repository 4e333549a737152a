"""API keys: storage, and what owners and staff can do with them in the console and admin."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from accounts.models import ApiToken, User, hash_api_key
from tests.conftest import call_v1

pytestmark = pytest.mark.django_db


def test_keys_carry_285_bits_of_randomness(user: User, make_key: Callable):
    keys = {make_key(user) for _ in range(20)}

    assert len(keys) == 20
    for key in keys:
        assert re.fullmatch(r"sk-[A-Za-z0-9]{48}", key)  # 48 * log2(62) = 285 bits


def test_the_database_holds_no_plaintext_key(user: User, make_key: Callable):
    key = make_key(user)
    secret_part = key[3 + 10 :]  # Everything after the public lookup prefix.

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        stored = repr(cursor.fetchall())

    assert key not in stored
    assert secret_part not in stored
    assert hash_api_key(key) in stored


def test_the_key_hash_depends_on_the_server_pepper(settings, user: User, make_key: Callable):
    key = make_key(user)
    settings.API_KEY_PEPPER = "another-pepper"

    assert not ApiToken.objects.get().accepts(key)


def test_a_key_created_in_the_console_is_shown_once_and_authenticates(client: Client, user: User):
    client.force_login(user)

    response = client.post("/keys/", {"name": "laptop", "allowed_models": "gpt-4o, deepseek-chat"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    shown = re.search(r"sk-[A-Za-z0-9]{48}", response.content.decode())
    assert shown
    key = shown.group(0)
    token = ApiToken.objects.get(user=user)
    assert token.name == "laptop"
    assert token.allowed_models == ["gpt-4o", "deepseek-chat"]
    listing = client.get("/keys/").content.decode()
    assert key not in listing
    assert token.masked_key in listing
    assert call_v1("GET", "/v1/models", headers={"x-api-key": key}).status_code == 200


def test_the_console_rejects_a_bad_ip_allowlist_without_losing_input(client: Client, user: User):
    client.force_login(user)

    response = client.post("/keys/", {"name": "ci", "allowed_ips": "10.0.0.0/8, not-an-ip"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "not-an-ip is not an IP address or CIDR range." in page
    assert 'value="ci"' in page
    assert not ApiToken.objects.exists()


def test_owners_rename_disable_and_delete_their_keys(
    client: Client, user: User, make_key: Callable
):
    key = make_key(user)
    token = ApiToken.objects.get(user=user)
    client.force_login(user)

    client.post(f"/keys/{token.pk}/", {"name": "renamed", "rpm_limit": "60"})
    token.refresh_from_db()
    assert (token.name, token.rpm_limit) == ("renamed", 60)

    client.post(f"/keys/{token.pk}/toggle/")
    assert call_v1("GET", "/v1/models", headers={"x-api-key": key}).status_code == 401
    client.post(f"/keys/{token.pk}/toggle/")
    assert call_v1("GET", "/v1/models", headers={"x-api-key": key}).status_code == 200

    client.post(f"/keys/{token.pk}/delete/")
    assert not ApiToken.objects.exists()
    assert call_v1("GET", "/v1/models", headers={"x-api-key": key}).status_code == 401


def test_nobody_can_touch_another_users_key(
    client: Client, make_user: Callable, make_key: Callable
):
    owner, intruder = make_user(), make_user()
    make_key(owner)
    token = ApiToken.objects.get(user=owner)
    client.force_login(intruder)

    assert client.get(f"/keys/{token.pk}/").status_code == 404
    assert client.post(f"/keys/{token.pk}/toggle/").status_code == 404
    assert client.post(f"/keys/{token.pk}/delete/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).enabled


def test_the_console_requires_signing_in(client: Client):
    response = client.get("/keys/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_new_key_opens_in_a_copy_once_dialog_that_works_without_javascript(
    client: Client, user: User
):
    client.force_login(user)

    page = client.post("/keys/", {"name": "laptop"}).content.decode()

    key = re.search(r"sk-[A-Za-z0-9]{48}", page)
    assert key
    assert page.count(key.group(0)) == 1
    assert re.search(r'<dialog id="new-api-key-dialog"[^>]* open', page)
    assert 'id="copy-api-key"' in page
    assert "js/api_keys.js" in page


def test_a_key_is_created_with_limits_and_the_list_shows_them(client: Client, user: User):
    client.force_login(user)

    client.post(
        "/keys/",
        {
            "name": "batch",
            "spending_limit": "5.50",
            "rpm_limit": "60",
            "tpm_limit": "20000",
            "allowed_ips": "10.0.0.0/8",
        },
    )
    token = ApiToken.objects.get(user=user)
    listing = client.get("/keys/").content.decode()

    assert (token.spending_limit, token.rpm_limit, token.tpm_limit) == (5_500_000_000, 60, 20000)
    assert "Spending limit: 5.50 USD" in listing
    assert "Requests per minute: 60" in listing
    assert "Tokens per minute: 20000" in listing
    assert "From: 10.0.0.0/8" in listing


def test_editing_a_key_shows_and_keeps_its_spending_limit_in_currency_units(
    client: Client, user: User, make_key: Callable
):
    make_key(user, spending_limit=2_000_000_000)
    token = ApiToken.objects.get(user=user)
    client.force_login(user)

    form = client.get(f"/keys/{token.pk}/").content.decode()
    client.post(f"/keys/{token.pk}/", {"name": "renamed", "spending_limit": "2.00"})

    assert 'name="spending_limit" value="2.00"' in form
    token.refresh_from_db()
    assert (token.name, token.spending_limit) == ("renamed", 2_000_000_000)


def test_deleting_a_key_asks_once_before_it_happens(client: Client, user: User, make_key: Callable):
    make_key(user, name="old")
    token = ApiToken.objects.get(user=user)
    client.force_login(user)

    confirmation = client.get(f"/keys/{token.pk}/delete/")

    assert "Delete the key “old”" in confirmation.content.decode()
    assert ApiToken.objects.filter(pk=token.pk).exists()
    response = client.post(f"/keys/{token.pk}/delete/")
    assert response["Location"] == "/keys/"
    assert not ApiToken.objects.exists()


def test_without_keys_the_page_shows_an_empty_state(client: Client, user: User):
    client.force_login(user)

    page = client.get("/keys/").content.decode()

    assert "You have no API keys yet." in page
    assert "/playground/" in page
