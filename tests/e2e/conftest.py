"""Browser tests: the whole application under uvicorn, driven by Debian's Chromium.

`server` serves `config.asgi:application` (console and `/v1`) on loopback against the
transactional test database, with a fake upstream, a channel and a price for `MODEL`. `page`
is a fresh browser context on it; when a test fails, a screenshot of the page lands in
`var/e2e-artifacts/`. Browser tests are skipped when Chromium is not installed; `.ci/run`
installs it, so CI always runs them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client
from playwright.sync_api import Browser, Page, expect, sync_playwright

from accounts.models import User
from billing.models import Price
from gateway.models import Channel
from tests.fakes.upstream import FakeUpstream
from tests.gateway.conftest import INPUT_PRICE, MODEL, OUTPUT_PRICE, serve_gateway

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(django_settings.BASE_DIR) / "var" / "e2e-artifacts"
# Every step waits at most this long for the page: the live server answers in milliseconds.
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)


@dataclass(frozen=True)
class LiveServer:
    url: str

    @property
    def v1(self) -> str:
        return f"{self.url}/v1"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Keep each phase's report on the test, so the `page` fixture knows whether it failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def browser(transactional_db: None) -> Iterator[Browser]:
    """Chromium, started for one test once its database is ready.

    Playwright's sync API marks an event loop as running in this thread while it is started,
    and runs the test's code in a context of its own. Django takes the first for an async
    context and refuses database work, and keeps connections per context. So the browser
    starts after the test database is set up (and restored), with Django's guard lifted only
    while it runs, and the test's own connections are closed before it stops.
    """
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: .ci/run installs {CHROMIUM}.")
        pytest.skip(
            f"Browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)."
        )
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        connections.close_all()


@pytest.fixture
def server(transactional_db: None, settings: Any) -> Iterator[LiveServer]:
    """The whole application on loopback, with a fake upstream serving `MODEL` at a price."""
    settings.UPSTREAM_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8"]
    with FakeUpstream() as upstream:
        Channel.objects.create(
            name="primary",
            provider="openai",
            base_url=upstream.base_url,
            api_key="sk-upstream-secret",
            served_models=[MODEL],
            read_timeout=5,
        )
        Price.objects.create(
            model=MODEL, input_per_million=INPUT_PRICE, output_per_million=OUTPUT_PRICE
        )
        with serve_gateway() as v1:
            yield LiveServer(url=v1.removesuffix("/v1"))


@pytest.fixture
def context_options() -> dict[str, Any]:
    """Options of the browser context; override in a test module for headers, locale, etc."""
    return {}


@pytest.fixture
def page(
    browser: Browser,
    server: LiveServer,
    context_options: dict[str, Any],
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=server.url, locale="en-US", accept_downloads=True, **context_options
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    reports = (getattr(request.node, f"report_{when}", None) for when in ("setup", "call"))
    if any(report is not None and report.failed for report in reports):
        save_screenshot(page, request.node.nodeid)
    context.close()


def save_screenshot(page: Page, nodeid: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", nodeid).strip("-")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    (ARTIFACTS / f"{name}.html").write_text(page.content())


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core in the page; its serious and critical violations."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing: run `npm ci` in {AXE.parents[2]}.")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document)")
    return [
        violation
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + ", ".join(str(node["target"]) for node in violation["nodes"])
        for violation in violations
    )


def sign_in(page: Page, server: LiveServer, user: User) -> None:
    """Give the browser a session of `user`, as signing in would."""
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": server.url}])
