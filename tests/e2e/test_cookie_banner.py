"""The cookie banner in a real browser: shown on a first visit, choices recorded, GPC honoured."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from privacy.models import ConsentRecord

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

OPTIONAL = {"functional_cookies", "analytics_cookies"}


def banner_choices() -> set[tuple[str, bool]]:
    return {
        (record.purpose, record.granted)
        for record in ConsentRecord.objects.filter(method=ConsentRecord.Method.BANNER)
    }


def choose(page: Page, button: str) -> None:
    """Press one of the banner's buttons and wait until the choice is recorded.

    With JavaScript the banner posts in the background and hides itself; without, the page
    reloads. Either way the choice has been answered once the POST has."""
    banner = page.locator("#cookie-banner")
    with page.expect_response(lambda response: response.request.method == "POST"):
        banner.get_by_role("button", name=button).click()
    expect(banner).to_be_hidden()


def cookie_names(page: Page) -> set[str]:
    return {cookie["name"] for cookie in page.context.cookies()}


def test_the_banner_is_shown_on_a_first_visit_with_its_three_equal_choices(page: Page):
    page.goto("/")

    banner = page.locator("#cookie-banner")
    expect(banner).to_be_visible()
    expect(banner.get_by_label("Functional")).not_to_be_checked()
    expect(banner.get_by_label("Analytics")).not_to_be_checked()
    for text in ("Accept all", "Reject all", "Save choices"):
        expect(banner.get_by_role("button", name=text)).to_be_visible()
    expect(banner.locator(".gpc-notice")).to_have_count(0)
    expect(page.locator("footer").get_by_role("link", name="Cookie settings")).to_have_attribute(
        "href", "/privacy/cookies/"
    )


def test_reject_all_records_the_choice_and_sets_no_analytics_cookie(page: Page):
    page.goto("/")

    choose(page, "Reject all")

    assert banner_choices() == {("functional_cookies", False), ("analytics_cookies", False)}
    assert all(record.notice_version for record in ConsentRecord.objects.all())
    assert not [name for name in cookie_names(page) if "analytic" in name.lower()]
    page.reload()
    expect(page.locator("#cookie-banner")).to_be_hidden()


def test_accept_all_records_a_grant_for_every_optional_purpose(page: Page):
    page.goto("/")

    choose(page, "Accept all")

    assert banner_choices() == {(purpose, True) for purpose in OPTIONAL}


def test_saving_ticked_choices_records_each_purpose_as_ticked(page: Page):
    page.goto("/")
    banner = page.locator("#cookie-banner")

    banner.get_by_label("Functional").check()
    choose(page, "Save choices")

    assert banner_choices() == {("functional_cookies", True), ("analytics_cookies", False)}


def test_the_cookie_settings_page_shows_and_changes_the_choices_made(page: Page):
    page.goto("/")
    choose(page, "Accept all")

    page.goto("/privacy/cookies/")

    form = page.locator("main form").filter(has=page.get_by_label("Analytics"))
    expect(form.get_by_label("Analytics")).to_be_checked()
    with page.expect_response(lambda response: response.request.method == "POST"):
        form.get_by_role("button", name="Reject all").click()
    assert ConsentRecord.objects.filter(purpose="analytics_cookies").latest("pk").granted is False


class TestGlobalPrivacyControl:
    @pytest.fixture
    def context_options(self) -> dict[str, Any]:
        return {"extra_http_headers": {"Sec-GPC": "1"}}

    def test_the_banner_says_the_signal_is_honoured_and_analytics_stay_off(self, page: Page):
        page.goto("/")
        banner = page.locator("#cookie-banner")

        expect(banner.locator(".gpc-notice")).to_be_visible()
        choose(page, "Accept all")

        assert ("analytics_cookies", True) not in banner_choices()
        assert ("analytics_cookies", False) in banner_choices()
        assert not [name for name in cookie_names(page) if "analytic" in name.lower()]
