"""Google and GitHub sign-in, configured from the environment, with the providers faked."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
import responses
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db

GITHUB_PROFILE = {"id": 4242, "login": "octocat", "name": "Mona Octocat", "email": None}
GITHUB_EMAILS = [{"email": "mona@example.com", "primary": True, "verified": True}]


@pytest.fixture
def providers_from_environment(settings):
    providers = {
        "github": {"SCOPE": ["user:email"], "APPS": [{"client_id": "gh-id", "secret": "gh-s"}]},
        "google": {"SCOPE": ["email"], "APPS": [{"client_id": "g-id", "secret": "g-s"}]},
    }
    settings.SOCIALACCOUNT_PROVIDERS = providers
    return providers


def start_login(client: Client, provider: str) -> dict[str, list[str]]:
    response = client.post(f"/accounts/{provider}/login/")
    assert response.status_code == 302
    return parse_qs(urlparse(response["Location"]).query) | {
        "_host": [urlparse(response["Location"]).netloc]
    }


def test_the_sign_in_page_offers_configured_providers(client: Client, providers_from_environment):
    page = client.get("/accounts/login/").content.decode()

    assert "/accounts/github/login/" in page
    assert "/accounts/google/login/" in page


def test_google_sign_in_redirects_to_google_with_our_client_id(
    client: Client, providers_from_environment
):
    query = start_login(client, "google")

    assert query["_host"] == ["accounts.google.com"]
    assert query["client_id"] == ["g-id"]
    assert query["state"]


@responses.activate
def test_github_sign_up_goes_through_the_age_gate(client: Client, providers_from_environment):
    responses.post(
        "https://github.com/login/oauth/access_token",
        json={"access_token": "gho_test", "token_type": "bearer", "scope": "user:email"},
    )
    responses.get("https://api.github.com/user", json=GITHUB_PROFILE)
    responses.get("https://api.github.com/user/emails", json=GITHUB_EMAILS)
    query = start_login(client, "github")
    assert query["_host"] == ["github.com"]

    callback = client.get(
        "/accounts/github/login/callback/", {"code": "abc", "state": query["state"][0]}
    )
    assert callback["Location"] == "/accounts/3rdparty/signup/"

    refused = client.post("/accounts/3rdparty/signup/", {"email": "mona@example.com"})
    assert refused.status_code == 200
    assert not User.objects.filter(email="mona@example.com").exists()

    done = client.post(
        "/accounts/3rdparty/signup/",
        {"email": "mona@example.com", "username": "octocat", "adult": "on"},
    )
    assert done["Location"] == "/"
    user = User.objects.get(email="mona@example.com")
    assert user.adult_confirmed_at is not None
    assert SocialAccount.objects.get(user=user).uid == "4242"
