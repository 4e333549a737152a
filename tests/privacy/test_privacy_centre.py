"""The privacy centre: consents with one-click withdrawal, the export, requests and deletion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Preferences, User
from gateway.models import ContentLog
from privacy.consent import has_consent, record_consent
from privacy.models import ConsentRecord, DataExport, DataSubjectRequest, Purpose

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def test_the_centre_needs_a_signed_in_person(client: Client):
    response = client.get("/privacy/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_centre_lists_each_consent_with_its_notice_and_the_thirty_day_notice(
    signed_in: Client, user: User
):
    record_consent(purpose=Purpose.MARKETING_EMAILS, granted=True, method="signup", user=user)

    response = signed_in.get("/privacy/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "for up to 30 days" in page
    choices = {choice.purpose: choice for choice in response.context["choices"]}
    assert choices[Purpose.MARKETING_EMAILS].record.granted
    assert choices[Purpose.CONTENT_LOGGING].record is None
    assert "notice version 1" in page
    for link in ("/legal/privacy/", "/legal/terms/", "/legal/cookies/", "/settings/close/"):
        assert f'href="{link}"' in page


def test_one_click_withdraws_a_consent_with_the_settings_method(signed_in: Client, user: User):
    record_consent(purpose=Purpose.MARKETING_EMAILS, granted=True, method="signup", user=user)

    response = signed_in.post(
        "/privacy/consents/", {"purpose": "marketing_emails", "granted": "false"}
    )

    assert response["Location"] == "/privacy/"
    assert not has_consent(purpose=Purpose.MARKETING_EMAILS, user_id=user.pk)
    assert not Preferences.objects.get(user=user).product_updates
    latest = ConsentRecord.objects.filter(user=user).first()
    assert latest is not None and (latest.method, latest.notice_version) == ("settings", 1)


def test_granting_before_any_preferences_exist_counts_as_granted(signed_in: Client, user: User):
    Preferences.objects.filter(user=user).delete()

    signed_in.post("/privacy/consents/", {"purpose": "marketing_emails", "granted": "true"})

    assert has_consent(purpose=Purpose.MARKETING_EMAILS, user_id=user.pk)
    assert Preferences.objects.get(user=user).product_updates
    assert ConsentRecord.objects.filter(user=user).count() == 1


def test_granting_content_logging_turns_logging_on(signed_in: Client, user: User):
    signed_in.post("/privacy/consents/", {"purpose": "content_logging", "granted": "true"})

    assert Preferences.objects.get(user=user).content_logging


def test_withdrawing_content_logging_deletes_the_stored_content(
    signed_in: Client, user: User, django_capture_on_commit_callbacks: Callable
):
    record_consent(purpose=Purpose.CONTENT_LOGGING, granted=True, method="settings", user=user)
    ContentLog.sealed(request_id="req-1", user_id=user.pk, prompt="secret", response="ok").save()

    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post("/privacy/consents/", {"purpose": "content_logging", "granted": "false"})

    assert not Preferences.objects.get(user=user).content_logging
    assert not ContentLog.objects.exists()


def test_a_purpose_outside_the_centre_is_refused(signed_in: Client):
    response = signed_in.post("/privacy/consents/", {"purpose": "sale_sharing", "granted": "true"})

    assert response.status_code == 400
    assert not ConsentRecord.objects.exists()


def test_requesting_my_data_builds_an_export_and_offers_the_download(
    signed_in: Client, user: User, django_capture_on_commit_callbacks: Callable
):
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post("/privacy/export/", {"regime": "gdpr"})

    response = signed_in.get("/privacy/")

    dsr = DataSubjectRequest.objects.get(user=user)
    assert dsr.kind == "portability"
    assert response.context["export"].status == "ready"
    token = DataExport.objects.get(user=user).token
    assert f'href="/privacy/exports/{token}/"' in response.content.decode()
    assert signed_in.get(f"/privacy/exports/{token}/").status_code == 200


def test_a_pending_export_is_shown_as_being_prepared(signed_in: Client):
    signed_in.post("/privacy/export/", {"regime": "other"})

    response = signed_in.get("/privacy/")

    assert response.context["export"].status == "pending"
    assert 'http-equiv="refresh"' in response.content.decode()
    assert 'action="/privacy/export/"' not in response.content.decode()


def test_an_expired_export_is_shown_as_expired(
    signed_in: Client, user: User, django_capture_on_commit_callbacks: Callable
):
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post("/privacy/export/", {"regime": "gdpr"})
    DataExport.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(days=1))

    response = signed_in.get("/privacy/")

    assert response.context["export"].status == "expired"
    assert 'action="/privacy/export/"' in response.content.decode()


def test_my_requests_are_listed_with_their_status(signed_in: Client, user: User):
    signed_in.post("/privacy/requests/", {"regime": "gdpr", "kind": "rectification"})

    page = signed_in.get("/privacy/").content.decode()

    assert "correct my data" in page
    assert "received" in page


@pytest.mark.parametrize("language", ["en", "zh-hans", "ja", "vi", "fr", "ru"])
def test_the_privacy_and_account_pages_render_in_every_language(signed_in: Client, language: str):
    signed_in.cookies["django_language"] = language

    for path in ("/privacy/", "/privacy/cookies/", "/settings/security/", "/settings/preferences/"):
        response = signed_in.get(path)

        assert response.status_code == 200, path
        assert response["Content-Language"] == language


def test_withdrawing_functional_cookies_in_the_centre_removes_the_theme_cookie(
    client: Client, user: User
):
    client.force_login(user)
    client.cookies["theme"] = "dark"

    response = client.post(
        "/privacy/consents/", {"purpose": "functional_cookies", "granted": "false"}
    )

    assert response.cookies["theme"]["max-age"] == 0
