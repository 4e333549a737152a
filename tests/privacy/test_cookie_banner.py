"""The cookie banner: shown until a choice under the current notice, three equal buttons, GPC."""

from __future__ import annotations

import pytest
from django.test import Client

from privacy.models import ConsentNotice, ConsentRecord, Purpose

pytestmark = pytest.mark.django_db


def banner_of(client: Client, path: str = "/", **headers: str) -> str:
    page = client.get(path, headers=headers).content.decode()
    start = page.find('<section id="cookie-banner"')
    return "" if start == -1 else page[start : page.index("</section>", start)]


def test_the_banner_is_shown_on_a_first_visit_with_three_buttons(client: Client):
    banner = banner_of(client)

    assert 'action="/privacy/consent/"' in banner
    for text in ("Functional", "Analytics", "Accept all", "Reject all", "Save choices"):
        assert text in banner
    assert 'name="functional_cookies"' in banner
    assert 'name="analytics_cookies"' in banner
    assert "gpc-notice" not in banner


def test_reject_all_records_two_withdrawals_and_sets_no_analytics_cookie(client: Client):
    response = client.post("/privacy/consent/", {"choice": "reject_all", "next": "/"})

    records = ConsentRecord.objects.filter(method="banner")
    assert {(r.purpose, r.granted, r.notice_version) for r in records} == {
        ("functional_cookies", False, 1),
        ("analytics_cookies", False, 1),
    }
    assert set(response.cookies) == {"tg_browser"}
    assert response.cookies["tg_browser"]["httponly"]
    assert banner_of(client) == ""


def test_reject_all_removes_the_theme_cookie(client: Client):
    client.cookies["theme"] = "dark"

    response = client.post("/privacy/consent/", {"choice": "reject_all"})

    assert response.cookies["theme"]["max-age"] == 0


def test_the_language_is_remembered_only_with_functional_consent(client: Client):
    without = client.post("/language/", {"language": "fr", "next": "/"})
    assert without.cookies["django_language"].value == "fr"
    assert without.cookies["django_language"]["max-age"] == ""

    client.post("/privacy/consent/", {"choice": "accept_all"})
    remembered = client.post("/language/", {"language": "ja", "next": "/"})

    assert remembered.cookies["django_language"]["max-age"] > 0


def test_withdrawing_functional_consent_keeps_the_language_for_this_session_only(
    client: Client,
):
    client.post("/privacy/consent/", {"choice": "accept_all"})
    client.post("/language/", {"language": "vi", "next": "/"})

    response = client.post("/privacy/consent/", {"choice": "reject_all"})

    assert response.cookies["django_language"].value == "vi"
    assert response.cookies["django_language"]["max-age"] == ""


def test_accept_all_grants_both_and_allows_functional_cookies(client: Client):
    client.post("/privacy/consent/", {"choice": "accept_all"})

    records = ConsentRecord.objects.filter(method="banner")
    assert {(r.purpose, r.granted) for r in records} == {
        ("functional_cookies", True),
        ("analytics_cookies", True),
    }
    response = client.get("/")
    assert response.context["functional_cookies_allowed"] is True
    assert 'id="cookie-banner"' not in response.content.decode()


def test_the_banner_script_saves_in_the_background(client: Client):
    assert "/static/js/cookie-banner.js" in client.get("/").content.decode()

    response = client.post(
        "/privacy/consent/", {"choice": "reject_all"}, headers={"Accept": "application/json"}
    )

    assert response.status_code == 204
    assert "tg_browser" in response.cookies
    assert ConsentRecord.objects.filter(method="banner", granted=False).count() == 2


def test_save_choices_records_only_the_ticked_boxes(client: Client):
    client.post("/privacy/consent/", {"choice": "save", "functional_cookies": "on"})

    assert client.get("/").context["functional_cookies_allowed"] is True
    analytics = ConsentRecord.objects.get(purpose=Purpose.ANALYTICS_COOKIES)
    assert not analytics.granted


def test_the_banner_is_shown_again_after_a_new_cookie_notice(client: Client):
    client.post("/privacy/consent/", {"choice": "accept_all"})
    assert banner_of(client) == ""

    ConsentNotice.objects.create(
        purpose=Purpose.ANALYTICS_COOKIES, version=2, language="en", text="Now with heatmaps."
    )

    assert "Accept all" in banner_of(client)
    client.post("/privacy/consent/", {"choice": "accept_all"})
    assert ConsentRecord.objects.filter(purpose="analytics_cookies", notice_version=2).exists()
    assert banner_of(client) == ""


def test_a_signed_in_choice_follows_the_account_to_another_browser(client: Client, user):
    client.force_login(user)
    client.post("/privacy/consent/", {"choice": "reject_all"})

    other = Client()
    other.force_login(user)

    assert banner_of(other) == ""


def test_with_gpc_the_banner_says_so_and_accept_all_keeps_analytics_off(client: Client):
    banner = banner_of(client, **{"Sec-GPC": "1"})

    assert 'class="gpc-notice"' in banner
    assert "Global Privacy Control" in banner

    response = client.post("/privacy/consent/", {"choice": "accept_all"}, headers={"Sec-GPC": "1"})

    latest = ConsentRecord.objects.filter(purpose=Purpose.ANALYTICS_COOKIES).first()
    assert latest is not None and not latest.granted
    assert not any("analytic" in name for name in response.cookies)


def test_the_cookie_settings_page_shows_the_current_choices(client: Client):
    client.post("/privacy/consent/", {"choice": "save", "functional_cookies": "on"})

    page = client.get("/privacy/cookies/").content.decode()

    assert 'id="cookie-banner"' not in page
    assert 'name="functional_cookies" checked' in page
    assert 'name="analytics_cookies" checked' not in page
