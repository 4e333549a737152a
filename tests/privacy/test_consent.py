"""Consent: append-only records, one-click withdrawal, GPC, the banner and unsubscribe links."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import Preferences, User
from privacy.consent import has_consent, record_consent, unsubscribe_headers, unsubscribe_token
from privacy.models import ConsentNotice, ConsentRecord, Purpose

pytestmark = pytest.mark.django_db


def test_first_notices_are_published_in_every_language():
    languages = set(ConsentNotice.objects.values_list("language", flat=True))
    assert languages == {"en", "zh-hans", "ja", "vi", "fr", "ru"}
    french = ConsentNotice.objects.get(purpose=Purpose.CONTENT_LOGGING, language="fr")
    english = ConsentNotice.objects.get(purpose=Purpose.CONTENT_LOGGING, language="en")
    assert french.text != english.text


def test_the_latest_record_decides_and_history_is_kept(user: User):
    for granted in (True, False, True):
        record_consent(
            purpose=Purpose.ANALYTICS_COOKIES, granted=granted, method="settings", user=user
        )

    assert has_consent(purpose=Purpose.ANALYTICS_COOKIES, user_id=user.pk)
    assert ConsentRecord.objects.filter(user=user).count() == 3


def test_consent_records_are_append_only(user: User):
    record = record_consent(
        purpose=Purpose.MARKETING_EMAILS, granted=True, method="staff", user=user
    )

    record.granted = False
    with pytest.raises(ValueError, match="append-only"):
        record.save()
    with pytest.raises(ValueError, match="append-only"):
        record.delete()


def test_a_record_keeps_the_notice_version_and_only_a_truncated_ip(user: User, rf):
    request = rf.post("/", REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="Firefox")

    record = record_consent(
        purpose=Purpose.CONTENT_LOGGING, granted=True, method="settings", user=user, request=request
    )

    assert (record.notice_version, record.ip_truncated) == (1, "203.0.113.0/24")
    assert record.user_agent == "Firefox"
    assert Preferences.objects.get(user=user).content_logging


def test_changing_a_consent_preference_in_the_console_is_recorded(client: Client, user: User):
    client.force_login(user)
    form = {"language": "en", "time_zone": "UTC", "content_logging": "on", "product_updates": "on"}

    client.post("/settings/preferences/", form)
    client.post("/settings/preferences/", {"language": "en", "time_zone": "UTC"})

    history = ConsentRecord.objects.filter(user=user).order_by("created_at", "id")
    assert [(r.purpose, r.granted, r.method) for r in history] == [
        ("content_logging", True, "settings"),
        ("marketing_emails", True, "settings"),
        ("content_logging", False, "settings"),
        ("marketing_emails", False, "settings"),
    ]


def test_gpc_opts_the_browser_out_once(client: Client):
    client.get("/", headers={"Sec-GPC": "1"})
    client.get("/", headers={"Sec-GPC": "1"})

    records = ConsentRecord.objects.all()
    assert {(r.purpose, r.granted, r.method) for r in records} == {
        ("sale_sharing", False, "gpc"),
        ("analytics_cookies", False, "gpc"),
    }
    assert records.count() == 2
    browser_id = client.cookies["tg_browser"].value
    assert not has_consent(purpose=Purpose.ANALYTICS_COOKIES, browser_id=browser_id)


def test_gpc_opts_the_signed_in_account_out_too(client: Client, user: User):
    record_consent(purpose=Purpose.ANALYTICS_COOKIES, granted=True, method="banner", user=user)
    client.force_login(user)

    client.get("/", headers={"Sec-GPC": "1"})

    assert not has_consent(purpose=Purpose.ANALYTICS_COOKIES, user_id=user.pk)
    assert ConsentRecord.objects.filter(user=user, method="gpc").count() == 2


def test_no_gpc_header_records_nothing(client: Client):
    client.get("/")

    assert not ConsentRecord.objects.exists()


def test_the_cookie_banner_records_each_choice_for_the_browser(client: Client):
    response = client.post(
        "/privacy/consent/",
        {"functional_cookies": "on", "analytics_cookies": "off", "next": "/accounts/login/"},
    )

    assert response["Location"] == "/accounts/login/"
    browser_id = client.cookies["tg_browser"].value
    assert has_consent(purpose=Purpose.FUNCTIONAL_COOKIES, browser_id=browser_id)
    assert not has_consent(purpose=Purpose.ANALYTICS_COOKIES, browser_id=browser_id)
    assert ConsentRecord.objects.filter(method="banner").count() == 2


def test_the_banner_never_redirects_off_site(client: Client):
    response = client.post("/privacy/consent/", {"next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_marketing_emails_carry_one_click_unsubscribe_headers(user: User):
    headers = unsubscribe_headers(user, site_url="https://gate.example/")

    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<https://gate.example/privacy/unsubscribe/")


def test_one_click_unsubscribe_withdraws_without_signing_in(make_user: Callable):
    user = make_user()
    record_consent(purpose=Purpose.MARKETING_EMAILS, granted=True, method="settings", user=user)
    url = f"/privacy/unsubscribe/{unsubscribe_token(user)}/"
    mail_client = Client(enforce_csrf_checks=True)

    assert user.email in mail_client.get(url).content.decode()
    response = mail_client.post(url, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert not has_consent(purpose=Purpose.MARKETING_EMAILS, user_id=user.pk)
    assert not Preferences.objects.get(user=user).product_updates
    assert ConsentRecord.objects.filter(user=user, method="unsubscribe", granted=False).exists()


def test_a_forged_unsubscribe_link_changes_nothing(client: Client, user: User):
    response = client.post("/privacy/unsubscribe/not-a-signed-token/")

    assert response.status_code == 400
    assert not ConsentRecord.objects.exists()
