"""Accessibility smoke test: labelled form fields and no serious axe-core violations."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import Page

from accounts.models import ApiToken, User
from tests.e2e.conftest import LiveServer, axe_violations, describe, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ANONYMOUS_PAGES = [
    "home",
    "account_login",
    "account_signup",
    "account_reset_password",
    "privacy_public_request",
    "cookie_settings",
    "legal_privacy",
]
SIGNED_IN_PAGES = [
    "home",
    "api_keys",
    "usage",
    "model_catalog",
    "quickstart",
    "playground",
    "billing",
    "billing_orders",
    "billing_profile",
    "preferences",
    "security",
    "account_email",
    "account_change_password",
    "privacy_centre",
    "privacy_requests",
    "support",
]

# Form controls a person fills in (not buttons or hidden fields) without an accessible name.
UNLABELLED_FIELDS = """() => [...document.querySelectorAll("input, select, textarea")]
  .filter((field) => !["hidden", "submit", "button", "reset", "image"].includes(field.type))
  .filter((field) => field.labels.length === 0
    && !field.getAttribute("aria-label") && !field.getAttribute("aria-labelledby"))
  .map((field) => field.outerHTML)"""


@pytest.fixture
def context_options() -> dict[str, Any]:
    # axe-core is injected as an inline script, which the console's CSP rightly forbids.
    return {"bypass_csp": True}


@pytest.fixture(autouse=True)
def _policies(transactional_db: None) -> None:
    # The footer, sign-up page and cookie banner link to them.
    call_command("publish_default_policies", stdout=StringIO())


def problems_on(page: Page, name: str) -> list[str]:
    try:
        path = reverse(name)
    except NoReverseMatch:
        return [f"{name}: no such page"]
    response = page.goto(path)
    assert response is not None
    if response.status != 200:
        return [f"{path}: {response.status}"]
    unlabelled = page.evaluate(UNLABELLED_FIELDS)
    problems = [f"{path}: field without a label: {field}" for field in unlabelled]
    violations = axe_violations(page)
    if violations:
        problems.append(f"{path}: {describe(violations)}")
    return problems


def test_public_pages_have_labelled_fields_and_no_serious_violations(page: Page):
    problems = [problem for name in ANONYMOUS_PAGES for problem in problems_on(page, name)]

    assert not problems, "\n".join(problems)


def test_console_pages_have_labelled_fields_and_no_serious_violations(
    page: Page, server: LiveServer, make_user: Callable[..., User]
):
    user = make_user("reader@example.com")
    ApiToken.objects.issue(user=user, name="reader key")
    sign_in(page, server, user)

    problems = [problem for name in SIGNED_IN_PAGES for problem in problems_on(page, name)]

    assert not problems, "\n".join(problems)
