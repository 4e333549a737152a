"""First-party page-view counts: only with analytics consent, never with GPC, gone in 90 days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from accounts.models import User
from privacy.consent import record_consent
from privacy.erasure import erase_user_data
from privacy.models import PageView, Purpose
from privacy.retention import run_retention

pytestmark = pytest.mark.django_db


def choose_cookies(client: Client, *, analytics: bool) -> None:
    choices = {"analytics_cookies": "on"} if analytics else {}
    client.post("/privacy/consent/", {**choices, "next": "/"})


def test_nothing_is_recorded_without_consent(client: Client, user: User):
    client.get("/")
    choose_cookies(client, analytics=False)
    client.get("/")
    client.force_login(user)
    client.get("/support/")

    assert not PageView.objects.exists()


def test_a_consenting_browser_has_its_page_views_counted_by_url_name(client: Client):
    choose_cookies(client, analytics=True)

    client.get("/", headers={"accept-language": "fr"})

    view = PageView.objects.get()
    assert (view.page, view.language, view.user) == ("home", "fr", None)
    assert view.browser_id == client.cookies["tg_browser"].value
    assert view.day == timezone.now().date()


def test_a_consenting_user_is_counted_by_account_and_the_address_is_never_stored(
    client: Client, user: User
):
    record_consent(purpose=Purpose.ANALYTICS_COOKIES, granted=True, method="settings", user=user)
    client.force_login(user)

    client.get("/support/?token=secret-value")

    view = PageView.objects.get()
    assert (view.page, view.user, view.browser_id) == ("support", user, "")
    assert "secret" not in view.page


def test_withdrawing_consent_stops_the_counting(client: Client):
    choose_cookies(client, analytics=True)
    client.get("/")
    choose_cookies(client, analytics=False)

    client.get("/")

    assert PageView.objects.count() == 1


def test_global_privacy_control_means_no_page_views(client: Client):
    choose_cookies(client, analytics=True)

    client.get("/", headers={"sec-gpc": "1"})
    client.get("/")

    # The signal also recorded an opt-out, which holds after the header is gone.
    assert not PageView.objects.exists()


def test_admin_pages_errors_and_redirects_are_not_counted(client: Client):
    choose_cookies(client, analytics=True)

    client.get("/no-such-page/")
    client.get("/support/")
    client.get("/admin/")

    assert not PageView.objects.exists()


def test_raw_page_views_go_after_90_days(client: Client):
    choose_cookies(client, analytics=True)
    with time_machine.travel(timezone.now() - timedelta(days=91)):
        client.get("/")
    with time_machine.travel(timezone.now() - timedelta(days=89)):
        client.get("/")

    counts = run_retention().counts

    assert counts["analytics"] == 1
    assert PageView.objects.count() == 1


def test_erasure_removes_a_persons_page_views(user: User):
    PageView.objects.create(page="home", day=timezone.now().date(), language="en", user=user)

    erase_user_data(user)

    assert not PageView.objects.exists()


@pytest.mark.parametrize("role", ["Privacy Officer", "Operator"])
def test_staff_see_totals_by_day_and_page_without_browser_ids(make_user: Callable, role: str):
    today = timezone.now().date()
    for browser in ("browser-one", "browser-one", "browser-two"):
        PageView.objects.create(page="home", day=today, language="en", browser_id=browser)
    view = PageView.objects.create(page="usage", day=today, language="en")
    staff = make_user(staff=True)
    staff.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(staff)

    response = client.get("/admin/privacy/pageview/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "<td>home</td><td>3</td>" in page and "<td>usage</td><td>1</td>" in page
    assert "browser-one" not in page
    assert client.get(f"/admin/privacy/pageview/{view.pk}/change/").status_code == 403
