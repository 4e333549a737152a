"""Key rows: hostile keys are refused with 401, keys are compared in constant time, and a key
disabled in the console stops working on every gateway worker within a second."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from django.test import Client

from accounts import models as account_models
from accounts.models import ApiToken, User
from tests.reliability.conftest import assert_openai_error, serve_gateway, v1

pytestmark = pytest.mark.django_db


def models_with(headers: dict[str, str]) -> httpx.Response:
    return v1("/v1/models", method="GET", headers=headers)


@pytest.mark.parametrize(
    "suffix",
    [
        "' OR '1'='1",
        "'; DROP TABLE accounts_apitoken; --",
        '" OR ""="',
        "%' OR 1=1 --",
        "\\' OR 1#",
    ],
)
def test_sql_injection_shaped_keys_are_refused(user: User, make_key: Callable, suffix: str):
    key = make_key(user)
    for presented in (key[:11] + suffix, key + suffix, "sk-" + suffix):
        response = models_with({"Authorization": f"Bearer {presented}"})
        assert_openai_error(response, 401)
    assert ApiToken.objects.filter(user=user).count() == 1


def test_keys_with_nul_bytes_are_refused(user: User, make_key: Callable):
    key = make_key(user)
    for presented in (key + "\x00", key[:20] + "\x00" + key[21:], "\x00" + key):
        assert_openai_error(models_with({"x-api-key": presented}), 401)


def test_a_64_kb_key_is_refused(user: User, make_key: Callable):
    key = make_key(user)
    for presented in (key + "a" * 65536, key[:11] + "a" * 65536):
        assert_openai_error(models_with({"x-api-key": presented}), 401)


def test_the_key_hash_is_compared_with_compare_digest(
    user: User, make_key: Callable, monkeypatch: pytest.MonkeyPatch
):
    key = make_key(user)
    token = ApiToken.objects.get(user=user)
    compared: list[tuple[str, str]] = []
    compare_digest = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return compare_digest(a, b)

    monkeypatch.setattr(account_models.hmac, "compare_digest", spy)
    # Same lookup prefix, wrong secret: found by prefix, refused by the constant-time compare.
    wrong = key[:-1] + ("a" if key[-1] != "a" else "b")
    assert_openai_error(models_with({"x-api-key": wrong}), 401)
    assert compared == [(token.key_hash, account_models.hash_api_key(wrong))]
    assert models_with({"x-api-key": key}).status_code == 200
    assert compared[-1] == (token.key_hash, token.key_hash)


def poll_until_refused(urls: list[str], key: str, seconds: float) -> dict[str, float]:
    """How long after now each gateway took to refuse the key (missing: never did in time)."""
    started, refused_after = time.monotonic(), dict[str, float]()
    while time.monotonic() - started < seconds and len(refused_after) < len(urls):
        for url in urls:
            if url not in refused_after:
                response = httpx.get(f"{url}/models", headers={"x-api-key": key})
                if response.status_code == 401:
                    refused_after[url] = time.monotonic() - started
        time.sleep(0.02)
    return refused_after


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_disabled_key_stops_working_within_one_second_on_every_worker(
    live_gateway: str, make_user: Callable, make_key: Callable, settings: Any
):
    user = make_user()
    key = make_key(user)
    token = ApiToken.objects.get(user=user)
    with serve_gateway() as second:
        workers = [live_gateway, second]
        for url in workers:  # each worker has used (and could have cached) the key
            for _ in range(3):
                assert httpx.get(f"{url}/models", headers={"x-api-key": key}).status_code == 200
        console = Client(enforce_csrf_checks=False)
        console.force_login(user)
        assert console.post(f"/keys/{token.pk}/toggle/").status_code == 302

        refused_after = poll_until_refused(workers, key, seconds=1.0)

    assert set(refused_after) == set(workers), refused_after
