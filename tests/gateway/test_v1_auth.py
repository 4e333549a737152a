"""Key authentication on `/v1`, through the real ASGI application."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import ApiToken, User
from tests.conftest import call_v1

pytestmark = pytest.mark.django_db


def assert_invalid_api_key(response) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": {
            "message": (
                "Incorrect API key provided. You can find your API keys in the Tokengate console."
            ),
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }


def test_a_valid_key_lists_models_with_bearer_or_x_api_key(user: User, make_key: Callable):
    key = make_key(user)

    for headers in ({"authorization": f"Bearer {key}"}, {"x-api-key": key}):
        response = call_v1("GET", "/v1/models", headers=headers)
        assert response.status_code == 200
        assert response.json() == {"object": "list", "data": []}


def test_using_a_key_records_when_it_was_last_used(user: User, make_key: Callable):
    key = make_key(user)

    call_v1("GET", "/v1/models", headers={"x-api-key": key})

    assert ApiToken.objects.get(user=user).last_used_at is not None


def test_a_missing_key_is_refused():
    assert_invalid_api_key(call_v1("GET", "/v1/models"))


@pytest.mark.parametrize(
    "presented",
    [
        "sk-" + "A" * 48,
        "sk-' OR '1'='1' --",
        "sk-abc\x00def",
        "sk-" + "a" * 65536,
        "not-a-key",
    ],
)
def test_a_wrong_or_malformed_key_is_refused(user: User, make_key: Callable, presented: str):
    make_key(user)
    assert_invalid_api_key(call_v1("GET", "/v1/models", headers={"x-api-key": presented}))


def test_a_key_with_one_wrong_character_is_refused(user: User, make_key: Callable):
    key = make_key(user)
    tampered = key[:-1] + ("a" if key[-1] != "a" else "b")

    assert_invalid_api_key(call_v1("GET", "/v1/models", headers={"x-api-key": tampered}))


def test_two_different_keys_in_two_headers_are_refused(make_user: Callable, make_key: Callable):
    first, second = make_key(make_user()), make_key(make_user())
    headers = {"authorization": f"Bearer {first}", "x-api-key": second}

    assert_invalid_api_key(call_v1("GET", "/v1/models", headers=headers))


def test_a_key_in_the_query_string_does_not_authenticate(user: User, make_key: Callable):
    key = make_key(user)

    assert_invalid_api_key(call_v1("GET", f"/v1/models?api_key={key}&key={key}"))


def test_a_non_bearer_authorization_scheme_is_refused(user: User, make_key: Callable):
    key = make_key(user)

    assert_invalid_api_key(call_v1("GET", "/v1/models", headers={"authorization": f"Basic {key}"}))


def test_a_disabled_key_is_refused(user: User, make_key: Callable):
    key = make_key(user)
    ApiToken.objects.filter(user=user).update(enabled=False)

    assert_invalid_api_key(call_v1("GET", "/v1/models", headers={"x-api-key": key}))


def test_an_expired_key_is_refused(user: User, make_key: Callable):
    key = make_key(user, expires_at=timezone.now() - timedelta(seconds=1))

    assert_invalid_api_key(call_v1("GET", "/v1/models", headers={"x-api-key": key}))


def test_a_deleted_key_is_refused(user: User, make_key: Callable):
    key = make_key(user)
    ApiToken.objects.filter(user=user).delete()

    assert_invalid_api_key(call_v1("GET", "/v1/models", headers={"x-api-key": key}))


def test_keys_of_a_closed_account_are_refused(user: User, make_key: Callable):
    key = make_key(user)
    services.close_account(user)

    assert_invalid_api_key(call_v1("GET", "/v1/models", headers={"x-api-key": key}))


def test_a_key_is_refused_from_outside_its_ip_allowlist(user: User, make_key: Callable):
    key = make_key(user, allowed_ips=["203.0.113.0/24"])

    inside = call_v1("GET", "/v1/models", headers={"x-api-key": key}, client_ip="203.0.113.7")
    outside = call_v1("GET", "/v1/models", headers={"x-api-key": key}, client_ip="198.51.100.7")

    assert inside.status_code == 200
    assert_invalid_api_key(outside)


def test_a_console_session_never_authenticates_v1(client: Client, user: User):
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    assert_invalid_api_key(call_v1("GET", "/v1/models", headers={"cookie": cookie}))


def test_unknown_v1_paths_answer_404_in_openai_shape():
    response = call_v1("GET", "/v1/nothing-here")

    assert response.status_code == 404
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert response.json()["error"]["message"] == "Invalid URL (GET /v1/nothing-here)"


def test_a_wrong_method_answers_405_in_openai_shape():
    response = call_v1("DELETE", "/v1/models")

    assert response.status_code == 405
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_a_host_outside_allowed_hosts_is_refused(user: User, make_key: Callable):
    key = make_key(user)

    response = call_v1("GET", "/v1/models", headers={"x-api-key": key, "host": "evil.example"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_host"
