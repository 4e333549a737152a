"""Secrets row: a user's key and a channel's upstream key never show in logs, error bodies,
usage logs, data exports, admin pages or emails, whatever path a request fails on."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from billing.models import Wallet
from gateway.models import Channel
from privacy.exports import build_archive
from tests.fakes.upstream import FakeUpstream, Reply
from tests.reliability.conftest import MODEL, bearer, database_down, v1

pytestmark = pytest.mark.django_db

UPSTREAM_KEY = "sk-upstream-SENTINEL-5b4a3c2d1e"
CHAT = "/v1/chat/completions"
BODY = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
FAILURES = [
    Reply(status=400, error_body={"error": {"message": "bad request"}}),
    Reply(status=401, error_body={"error": {"message": "upstream refused the key"}}),
    Reply(status=500),
    Reply(status=429, headers={"retry-after": "3"}),
    Reply(delay=1.5),  # timeout
    Reply(status=200, body={"error": {"message": "in-band"}}),
    Reply(status=302, headers={"location": "http://127.0.0.1:9/"}),
    Reply(chunks=4, fail_after_chunks=1),  # a stream cut mid-way
]


def test_secrets_never_leak_on_any_error_path(
    api_key: str,
    customer: User,
    make_channel: Callable[..., Channel],
    upstream: FakeUpstream,
    caplog: pytest.LogCaptureFixture,
    settings: Any,
    make_user: Callable[..., User],
):
    settings.UPSTREAM_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8"]
    caplog.set_level(logging.DEBUG)
    channel = make_channel(api_key=UPSTREAM_KEY, read_timeout=1)
    seen: list[str] = []
    for failure in FAILURES:
        upstream.script(failure)
        stream = failure.fail_after_chunks is not None
        seen.append(v1(CHAT, json_body={**BODY, "stream": stream}, headers=bearer(api_key)).text)
    seen.append(v1(CHAT, content=b"{not json", headers=bearer(api_key)).text)
    seen.append(v1(CHAT, json_body={**BODY, "model": "nope"}, headers=bearer(api_key)).text)
    seen.append(v1(CHAT, json_body=BODY, headers=bearer(api_key + "x")).text)
    with database_down():
        seen.append(v1(CHAT, json_body=BODY, headers=bearer(api_key)).text)
    Wallet.objects.filter(pk=customer.pk).update(balance=1, low_balance_threshold=10**9)
    seen.append(v1(CHAT, json_body=BODY, headers=bearer(api_key)).text)  # 402

    admin = Client()
    admin.force_login(make_user(staff=True, superuser=True))
    for url in (
        "/admin/gateway/usagelog/",
        "/admin/gateway/channel/",
        f"/admin/gateway/channel/{channel.pk}/change/",
        "/admin/accounts/apitoken/",
        "/admin/billing/hold/",
    ):
        seen.append(admin.get(url).content.decode())
    archive = zipfile.ZipFile(io.BytesIO(build_archive(customer, language="en")))
    seen.extend(archive.read(name).decode(errors="replace") for name in archive.namelist())
    seen.extend(f"{message.subject}\n{message.body}" for message in mail.outbox)
    seen.append(caplog.text)
    seen.append(repr([record.__dict__ for record in caplog.records]))

    assert len(upstream.requests) >= len(FAILURES)
    everything = "\n".join(seen)
    for secret in (UPSTREAM_KEY, "SENTINEL-5b4a3c2d1e", api_key, api_key[11:]):
        assert secret not in everything
