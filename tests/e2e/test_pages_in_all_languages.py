"""Every console page renders in each of the six languages, with its navigation translated.

A console page is any named URL pattern that takes no arguments, outside the admin, the JSON
API, the payment webhooks and the Google/GitHub sign-in redirects, plus a few that take an id.
Views that only accept POST (405 on GET) are actions, not pages. Redirects are followed: a
signed-in visitor to the sign-in page lands on a page that must render too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from accounts.models import ApiToken, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NOT_CONSOLE = ("admin:", "api-", "billing_webhooks:", "github_", "google_")
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def named_patterns(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{pattern.namespace}:" if pattern.namespace else ""
            yield from named_patterns(pattern.url_patterns, prefix + namespace)
        elif pattern.name:
            yield prefix + pattern.name


def console_paths() -> list[str]:
    paths = set()
    for name in named_patterns(get_resolver().url_patterns):
        if name.startswith(NOT_CONSOLE):
            continue
        try:
            paths.add(reverse(name))
        except NoReverseMatch:
            continue
    return sorted(paths)


class NavigationLabels(HTMLParser):
    """The text of each link and button inside the page's <nav> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.current: list[str] | None = None
        self.labels: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "nav":
            self.depth += 1
        elif self.depth and tag in ("a", "button"):
            self.current = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self.depth -= 1
        elif tag in ("a", "button") and self.current is not None:
            self.labels.append(" ".join("".join(self.current).split()))
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.current is not None:
            self.current.append(data)


def nav_labels(html: str) -> set[str]:
    parser = NavigationLabels()
    parser.feed(html)
    return {label for label in parser.labels if label and label != "Tokengate"}


# Pages whose answer depends on the account's state: without MFA or a failed provider sign-in
# there is nothing to show.
EXPECTED_STATUS = {
    "/accounts/2fa/recovery-codes/": 404,  # only with MFA set up
    "/accounts/2fa/recovery-codes/download/": 404,
    "/accounts/2fa/totp/deactivate/": 404,
    "/accounts/3rdparty/login/error/": 401,  # the page shown when a provider sign-in fails
}


def console_pages() -> list[str]:
    return [*console_paths(), "edit_api_key", "delete_api_key"]


@pytest.fixture
def signed_in(client: Client, make_user: Callable[..., User]) -> Client:
    user = make_user("polyglot@example.com", password=PASSWORD)
    ApiToken.objects.issue(user=user, name="polyglot key")
    call_command("publish_default_policies", stdout=StringIO())
    client.force_login(user)
    # A page that fails is reported with the others, not raised at once.
    client.raise_request_exception = False
    return client


def switch_language(client: Client, language: str) -> None:
    response = client.post("/language/", {"language": language, "next": "/"})
    assert response.status_code == 302


def render(client: Client, path: str) -> tuple[int, str]:
    """The status and HTML of a page; downloads (CSV, zip, ...) have no HTML to read."""
    response = client.get(path, follow=True)
    if not response.get("Content-Type", "").startswith("text/html"):
        return response.status_code, ""
    return response.status_code, response.content.decode()


def english_navigation(client: Client) -> set[str]:
    switch_language(client, "en")
    labels = nav_labels(render(client, "/")[1])
    assert {"Dashboard", "API keys", "Usage"} <= labels
    return labels


def test_there_are_console_pages_to_check():
    assert {"/", "/keys/", "/usage/", "/billing/", "/settings/preferences/"} <= set(console_paths())


@pytest.mark.parametrize("page", console_pages())
def test_the_console_page_renders_in_every_language_with_a_translated_navigation(
    signed_in: Client, page: str
):
    token = ApiToken.objects.get(name="polyglot key")
    path = reverse(page, args=[token.pk]) if not page.startswith("/") else page
    english = english_navigation(signed_in)
    failures = []
    for language in LANGUAGES:
        switch_language(signed_in, language)
        status, html = render(signed_in, path)
        if status == 405:
            pytest.skip(f"{path} is an action (POST only), not a page.")
        if status != EXPECTED_STATUS.get(path, 200):
            failures.append(f"{language}: {status}")
        elif status != 200 or not html:
            continue
        elif f'<html lang="{language}"' not in html:
            failures.append(f"{language}: the page is not in {language}")
        elif language != "en" and nav_labels(html) & english:
            failures.append(f"{language}: English in the navigation {nav_labels(html) & english}")
    assert not failures, f"{path}\n" + "\n".join(failures)


def test_the_public_pages_render_in_every_language_for_anonymous_visitors(client: Client):
    failures = []
    for language in LANGUAGES:
        switch_language(client, language)
        for path in ("/", "/accounts/login/", "/accounts/signup/", "/privacy/request/"):
            status, html = render(client, path)
            if status != 200 or f'<html lang="{language}"' not in html:
                failures.append(f"{language} {path}: {status}")
    assert not failures, "\n".join(failures)
