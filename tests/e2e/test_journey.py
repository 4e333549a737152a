"""A customer's whole life in the console, in a real browser against the live application.

Sign up, verify the address, sign in, create an API key, call `/v1` with it, see the call in
the usage log and on the dashboard, top up through a fake ZPAY checkout, download the
invoice, read the console in all six languages, withdraw a consent, download an export of
their data, and close the account.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from io import StringIO
from typing import Any

import openai
import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import translation
from playwright.sync_api import Page, expect

from accounts.models import User
from billing import ledger
from billing.models import TopUpOrder
from billing.money import to_nanos
from privacy.models import ConsentRecord
from tests.conftest import PASSWORD
from tests.e2e.conftest import LiveServer
from tests.fakes import payments
from tests.gateway.conftest import MODEL

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

EMAIL = "journey@example.com"


@pytest.fixture
def zpay(settings: Any) -> Iterator[payments.FakeZpay]:
    settings.ZPAY_PID = payments.ZPAY_PID
    settings.ZPAY_KEY = payments.ZPAY_KEY
    with payments.start_fake_zpay() as gateway:
        settings.ZPAY_SUBMIT_URL = gateway.submit_url
        yield gateway


@pytest.fixture(autouse=True)
def _policies(transactional_db: None) -> None:
    call_command("publish_default_policies", stdout=StringIO())


def sign_up(page: Page) -> None:
    page.goto("/")
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.locator("#cookie-banner").get_by_role("button", name="Accept all").click()
    page.locator("header").get_by_text("Sign up", exact=True).click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Username").fill("journey")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("I confirm that I am 18 years of age or older.").check()
    page.locator("main").get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()


def verify_email(page: Page) -> None:
    (message,) = mail.outbox
    assert message.to == [EMAIL]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", str(message.body))
    assert link, message.body
    page.goto(link.group(0))
    page.locator("main").get_by_role("button", name="Confirm").click()
    assert EmailAddress.objects.get(email=EMAIL).verified


def sign_in_again(page: Page) -> None:
    page.goto("/accounts/logout/")
    page.locator("main").get_by_role("button", name="Sign out").click()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()


def create_key(page: Page) -> str:
    page.goto("/keys/")
    page.locator("main").get_by_label("Name").fill("journey key")
    page.locator("main form").get_by_role("button").first.click()
    key = page.locator("#new-api-key").inner_text().strip()
    assert key.startswith("sk-")
    return key


def call_the_api(server: LiveServer, key: str) -> None:
    user = User.objects.get(email=EMAIL)
    # An operator's welcome credit: the first top-up comes later in the journey.
    ledger.adjust_balance(
        user_id=user.pk, amount=to_nanos("5"), reason="welcome", actor_id=None, idempotency_key="w"
    )
    client = openai.OpenAI(base_url=server.v1, api_key=key, max_retries=0)
    reply = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Hello"}]
    )
    assert reply.choices[0].message.content == "Hello from the fake upstream."


def see_usage(page: Page) -> None:
    page.goto("/usage/")
    expect(page.locator("main table")).to_contain_text(MODEL)
    page.goto("/")
    expect(page.locator("main canvas")).to_have_count(1)
    expect(page.locator("main table").filter(has_text=MODEL)).not_to_have_count(0)


def top_up(page: Page) -> None:
    page.goto("/billing/")
    page.locator('input[name="provider"][value="zpay:alipay"]').check()
    page.get_by_label(re.compile("^Amount")).fill("20")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", name="Fake ZPAY")).to_be_visible()
    page.get_by_role("button", name="Pay").click()
    expect(page.locator("main")).to_contain_text("Payment received.")
    assert TopUpOrder.objects.get().status == "paid"


def download_invoice(page: Page) -> None:
    page.get_by_role("link", name="View the invoice").click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".html")
    with open(download.path(), encoding="utf-8") as invoice:
        assert "Tokengate" in invoice.read()


def read_in_every_language(page: Page) -> None:
    page.goto("/keys/")
    for code, _name in settings.LANGUAGES:
        page.locator("#language-switcher").select_option(code)
        page.locator("footer form").get_by_role("button").click()
        expect(page.locator("html")).to_have_attribute("lang", code)
        with translation.override(code):
            api_keys, usage = translation.gettext("API keys"), translation.gettext("Usage")
        nav = page.locator(".console-sidebar nav")
        expect(nav.get_by_role("link", name=api_keys, exact=True)).to_be_visible()
        expect(nav.get_by_role("link", name=usage, exact=True)).to_be_visible()
    page.locator("#language-switcher").select_option("en")
    page.locator("footer form").get_by_role("button").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def withdraw_a_consent(page: Page) -> None:
    page.goto("/privacy/")
    analytics = page.locator("article").filter(has_text=re.compile("analytics", re.IGNORECASE))
    analytics.get_by_role("button", name="Withdraw").click()
    latest = ConsentRecord.objects.filter(purpose="analytics_cookies").latest("pk")
    assert (latest.granted, latest.method) == (False, ConsentRecord.Method.SETTINGS)


def download_my_data(page: Page) -> None:
    page.goto("/privacy/")
    page.get_by_role("button", name="Request my data").click()
    with page.expect_download() as download_info:
        page.locator(".export-status").get_by_role("button", name="Download").click()
    assert zipfile.is_zipfile(download_info.value.path())


def close_account(page: Page) -> None:
    page.goto("/privacy/")
    page.locator("main").get_by_role("button", name="Close my account").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Confirm").click()
    page.get_by_label(re.compile("I understand that closing my account")).check()
    page.locator("main").get_by_role("button", name="Close my account").click()
    expect(page.locator(".messages")).to_contain_text("Your account is closed.")
    assert not User.objects.get(email=EMAIL).is_active


def test_a_customer_goes_from_sign_up_to_closing_their_account(
    page: Page, server: LiveServer, zpay: payments.FakeZpay
):
    sign_up(page)
    verify_email(page)
    sign_in_again(page)
    key = create_key(page)
    call_the_api(server, key)
    see_usage(page)
    top_up(page)
    download_invoice(page)
    read_in_every_language(page)
    withdraw_a_consent(page)
    download_my_data(page)
    close_account(page)
