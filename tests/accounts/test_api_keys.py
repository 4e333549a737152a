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
