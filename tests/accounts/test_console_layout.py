"""The console's frame: sidebar, notices, theme and footer, on every signed-in page."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from billing import ledger
from billing.models import Wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def test_the_sidebar_marks_the_current_page(signed_in: Client):
    page = signed_in.get("/usage/").content.decode()

    assert '<a href="/usage/" aria-current="page">' in page
    assert '<a href="/keys/">' in page


def test_visitors_see_no_sidebar(client: Client):
    page = client.get("/").content.decode()

    assert "console-sidebar" not in page
    assert 'href="/accounts/signup/"' in page


def test_an_empty_balance_shows_the_top_up_notice(signed_in: Client):
    page = signed_in.get("/keys/").content.decode()

    assert "Your balance is low (0.00 USD)" in page


def test_a_balance_above_the_alert_threshold_shows_no_notice(signed_in: Client, user: User):
    ledger.adjust_balance(
        user_id=user.pk, amount=5_000_000_000, reason="test", actor_id=None, idempotency_key="t1"
    )
    Wallet.objects.filter(user=user).update(low_balance_threshold=1_000_000_000)

    assert "Your balance is low" not in signed_in.get("/keys/").content.decode()


def test_a_balance_below_the_alert_threshold_shows_the_notice(signed_in: Client, user: User):
    ledger.adjust_balance(
        user_id=user.pk, amount=500_000_000, reason="test", actor_id=None, idempotency_key="t2"
    )
    Wallet.objects.filter(user=user).update(low_balance_threshold=1_000_000_000)

    assert "Your balance is low (0.50 USD)" in signed_in.get("/keys/").content.decode()


def test_a_restricted_account_is_told_why_api_requests_are_refused(signed_in: Client, user: User):
    User.objects.filter(pk=user.pk).update(processing_restricted=True)

    page = signed_in.get("/keys/").content.decode()

    assert "Processing of your data is restricted" in page


def test_the_theme_cookie_sets_the_page_theme(client: Client):
    client.cookies["theme"] = "dark"

    assert '<html lang="en" data-theme="dark"' in client.get("/").content.decode()


def test_an_unknown_theme_cookie_is_ignored(client: Client):
    client.cookies["theme"] = '"><script>'

    page = client.get("/").content.decode()

    assert 'data-theme="' not in page
    assert '"><script>' not in page


def test_every_page_links_the_legal_documents(client: Client):
    page = client.get("/").content.decode()

    for url in ("/legal/privacy/", "/legal/terms/", "/legal/cookies/", "/privacy/request/"):
        assert f'href="{url}"' in page


def test_the_sign_up_page_links_the_terms_and_the_privacy_policy(client: Client):
    page = client.get("/accounts/signup/").content.decode()

    assert 'agree to the <a href="/legal/terms/">terms of service</a>' in page
    assert '<a href="/legal/privacy/">privacy policy</a>' in page


def test_a_missing_page_is_answered_in_the_visitors_language(client: Client):
    response = client.get("/no-such-page/", headers={"accept-language": "fr"})

    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
