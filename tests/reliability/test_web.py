"""Web rows: deployment checks, CSP, CSRF on every console form, Host validation, escaped
output for hostile text, and login limits that a forged X-Forwarded-For cannot dodge."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from accounts.models import ApiToken, User
from gateway.models import Channel, UsageLog
from privacy import dsar
from privacy.models import ConsentNotice, DataSubjectRequest
from tests.conftest import PASSWORD
from tests.gateway.conftest import serve_gateway
from tests.test_settings import PRODUCTION_ENV, ROOT

pytestmark = pytest.mark.django_db

# Views that take POSTs without a CSRF token on purpose, each authorised otherwise.
CSRF_EXEMPT = {
    "billing/webhooks/stripe/",  # signed by the provider
    "billing/webhooks/creem/",
    "billing/webhooks/zpay/",
    "privacy/unsubscribe/<str:token>/",  # RFC 8058 one-click; the signed token authorises
    "accounts/google/login/token/",  # allauth's One Tap: Google's signed JWT + g_csrf_token
}
PAYLOAD = '<script>alert("xss-7f3")</script><img src=x onerror=alert(1)>'


def test_deployment_checks_pass_with_production_settings():
    env = {
        **PRODUCTION_ENV,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "EMAIL_HOST": "smtp.gate.example",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_csp_forbids_plugins_and_base_tag_hijacking(client: Client):
    csp = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert "'unsafe-inline'" not in directives["script-src"]


def console_routes(
    patterns: list[URLPattern | URLResolver] | None = None, prefix: str = ""
) -> Iterator[tuple[str, Any]]:
    """Every route of the URLconf as (pattern text, view)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from console_routes(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry.callback


def concrete(pattern: str) -> str:
    """A URL that matches `pattern` (regex routes of the admin made literal)."""
    pattern = re.sub(r"\(\?P<\w+>[^)]*\)", "x", pattern)
    pattern = re.sub(r"<int:\w+>", "1", pattern)
    pattern = re.sub(r"<uuid:\w+>", str(uuid.uuid4()), pattern)
    pattern = re.sub(r"<(?:str|slug|path):\w+>|<\w+>", "x", pattern)
    return "/" + pattern.replace("^", "").replace("$", "").replace("\\", "")


def test_every_console_form_refuses_a_post_without_a_csrf_token(make_user: Callable[..., User]):
    staff = make_user(staff=True, superuser=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    checked, exempt = 0, set()
    for pattern, view in console_routes():
        # DRF marks its views exempt for Django and enforces CSRF itself on sessions.
        drf = isinstance(getattr(view, "cls", None), type) and issubclass(view.cls, APIView)
        if getattr(view, "csrf_exempt", False) and not drf:
            exempt.add(pattern)
            continue
        response = client.post(concrete(pattern), {"name": "x"})
        assert response.status_code == 403, (pattern, response.status_code)
        checked += 1
    assert exempt == CSRF_EXEMPT
    assert checked > 50  # console, allauth and admin routes were all enumerated


@pytest.mark.parametrize("host", ["evil.example", "localhost.evil.example", "a b", "x" * 300])
def test_a_bad_host_header_gets_a_400_on_django_pages(client: Client, host: str):
    assert client.get("/accounts/login/", headers={"host": host}).status_code == 400


def assert_escaped(html: str) -> None:
    assert PAYLOAD not in html
    assert "&lt;script&gt;alert(&quot;xss-7f3&quot;)&lt;/script&gt;" in html


def test_hostile_text_in_the_console_is_rendered_escaped(
    client: Client, make_user: Callable[..., User]
):
    user = make_user(password=PASSWORD)
    ApiToken.objects.issue(user=user, name=PAYLOAD[:64])
    UsageLog.objects.create(
        request_id="r1", user=user, endpoint="chat", model=PAYLOAD, status_code=200, latency_ms=1
    )
    dsar.submit_request(kind="access", regime="gdpr", details=PAYLOAD, language="en", user=user)
    client.force_login(user)
    keys = client.get("/keys/").content.decode()
    assert PAYLOAD[:64] not in keys and "&lt;script&gt;" in keys
    assert_escaped(client.get("/usage/").content.decode())


def test_hostile_text_in_admin_pages_is_rendered_escaped(
    client: Client, make_user: Callable[..., User]
):
    victim = make_user()
    User.objects.filter(pk=victim.pk).update(display_name=PAYLOAD, username=PAYLOAD[:150])
    channel = Channel.objects.create(
        name=PAYLOAD[:64], provider="openai", served_models=["m"], api_key="k"
    )
    notice = ConsentNotice.objects.create(
        purpose="analytics_cookies", version=99, language="en", text=PAYLOAD
    )
    dsar.submit_request(kind="access", regime="gdpr", details=PAYLOAD, language="en", user=victim)
    ticket = DataSubjectRequest.objects.get(user=victim)
    client.force_login(make_user(staff=True, superuser=True))
    # The user list shows no names (masked, issue 6); the change page shows them all.
    pages = {
        f"/admin/accounts/user/{victim.pk}/change/": PAYLOAD,
        "/admin/gateway/channel/": PAYLOAD[:64],
        f"/admin/gateway/channel/{channel.pk}/change/": PAYLOAD[:64],
        f"/admin/privacy/consentnotice/{notice.pk}/change/": PAYLOAD,
        f"/admin/privacy/datasubjectrequest/{ticket.pk}/change/": PAYLOAD,
    }
    for url, text in pages.items():
        html = client.get(url).content.decode()
        assert text not in html, url
        assert "&lt;script&gt;" in html, url


def failed_login(site: httpx.Client, email: str, forwarded_for: str) -> str:
    site.get("/accounts/login/")
    response = site.post(
        "/accounts/login/",
        data={
            "login": email,
            "password": "wrong-password",
            "csrfmiddlewaretoken": site.cookies["csrftoken"],
        },
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.text


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("trusted", ["127.0.0.1", "10.9.9.9"])
def test_a_forged_x_forwarded_for_does_not_reset_the_login_limit(trusted: str):
    # With a trusted proxy in front, the client address is the one the proxy appended (the
    # last); a client that is not a trusted proxy has its header ignored altogether.
    proxied = serve_gateway(proxy_headers=True, forwarded_allow_ips=trusted)
    with proxied as url, httpx.Client(base_url=url.removesuffix("/v1")) as site:
        pages = [
            failed_login(site, f"nobody{n}@example.com", f"198.51.100.{n}, 203.0.113.7")
            for n in range(12)
        ]
    limited = ["Too many failed login attempts" in page for page in pages]
    assert limited[-1] and not limited[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("trusted", "status"), [("127.0.0.1", 200), ("10.9.9.9", 401)])
def test_a_keys_ip_allowlist_trusts_x_forwarded_for_only_from_trusted_proxies(
    make_user: Callable[..., User], make_key: Callable[..., str], trusted: str, status: int
):
    key = make_key(make_user(), allowed_ips=["203.0.113.0/24"])
    headers = {"x-api-key": key, "X-Forwarded-For": "203.0.113.5"}

    with serve_gateway(proxy_headers=True, forwarded_allow_ips=trusted) as url:
        assert httpx.get(f"{url}/models", headers=headers).status_code == status
