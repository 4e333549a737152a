"""SSRF rows: a channel's base URL may not reach loopback, link-local, metadata, private or
CGNAT addresses in any spelling, neither when it is saved nor when the gateway connects (a
name may resolve differently later), and upstream redirects are never followed."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from gateway.models import Channel
from tests.fakes.upstream import FakeUpstream, Reply
from tests.reliability.conftest import MODEL, assert_openai_error, bearer, v1

pytestmark = pytest.mark.django_db

CHAT = "/v1/chat/completions"
BODY = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
real_getaddrinfo = socket.getaddrinfo


def resolve_names(monkeypatch: pytest.MonkeyPatch, names: dict[str, str]) -> None:
    """Answer DNS for `names` (the outside world's DNS is what this stands in for)."""

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in names:
            return real_getaddrinfo(names[host], port, *args, **kwargs)
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


FORBIDDEN = [
    "http://127.0.0.1/v1",  # loopback
    "http://127.1/v1",  # short form of loopback
    "http://localhost:8000/v1",
    "http://[::1]/v1",
    "http://0.0.0.0/v1",
    "http://169.254.169.254/latest/meta-data",  # cloud metadata (link-local)
    "http://169.254.1.1/v1",  # link-local
    "http://[fd00:ec2::254]/v1",  # AWS metadata over IPv6 (unique local)
    "http://[fe80::1]/v1",  # IPv6 link-local
    "http://10.0.0.5/v1",  # private
    "http://172.16.3.4/v1",
    "http://192.168.1.1/v1",
    "http://100.64.0.1/v1",  # CGNAT
    "http://2130706433/v1",  # decimal 127.0.0.1
    "http://0x7f000001/v1",  # hex 127.0.0.1
    "http://0177.0.0.1/v1",  # octal 127.0.0.1
    "http://0xa9.0xfe.0xa9.0xfe/v1",  # hex 169.254.169.254
    "http://[::ffff:127.0.0.1]/v1",  # IPv4-mapped IPv6
    "http://[::ffff:a9fe:a9fe]/v1",  # IPv4-mapped metadata address
    "http://internal.example.test/v1",  # a DNS name resolving to a private address
    "http://metadata.example.test/v1",  # ... and to the metadata address
]


@pytest.mark.parametrize("base_url", FORBIDDEN)
def test_forbidden_base_urls_are_refused_when_a_channel_is_saved(
    base_url: str, monkeypatch: pytest.MonkeyPatch, settings: Any
):
    settings.UPSTREAM_ALLOWED_PRIVATE_NETWORKS = []
    resolve_names(
        monkeypatch,
        {"internal.example.test": "10.1.2.3", "metadata.example.test": "169.254.169.254"},
    )
    channel = Channel(name="bad", provider="compatible", base_url=base_url, served_models=[MODEL])
    with pytest.raises(ValidationError):
        channel.full_clean()


def test_a_name_that_later_resolves_to_loopback_is_refused_at_connect(
    api_key: str,
    upstream: FakeUpstream,
    nothing_charged: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
):
    settings.UPSTREAM_ALLOWED_PRIVATE_NETWORKS = []
    base_url = f"http://rebind.example.test:{upstream.port}/v1"
    resolve_names(monkeypatch, {"rebind.example.test": "93.184.215.14"})  # public when saved
    channel = Channel(
        name="rebind", provider="compatible", base_url=base_url, served_models=[MODEL], api_key="k"
    )
    channel.full_clean()
    channel.save()
    resolve_names(monkeypatch, {"rebind.example.test": "127.0.0.1"})  # DNS rebinding

    assert_openai_error(v1(CHAT, json_body=BODY, headers=bearer(api_key)), 503)
    assert upstream.requests == []
    nothing_charged()


def test_a_stored_private_base_url_is_refused_at_connect(
    api_key: str,
    upstream: FakeUpstream,
    make_channel: Callable[..., Channel],
    nothing_charged: Callable[[], None],
    settings: Any,
):
    make_channel()  # saved while 127.0.0.0/8 was allowed, say; the operator then removed it
    settings.UPSTREAM_ALLOWED_PRIVATE_NETWORKS = []

    assert_openai_error(v1(CHAT, json_body=BODY, headers=bearer(api_key)), 503)
    assert upstream.requests == []
    nothing_charged()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_upstream_redirects_are_not_followed_and_cost_nothing(
    api_key: str,
    upstream: FakeUpstream,
    make_channel: Callable[..., Channel],
    nothing_charged: Callable[[], None],
    settings: Any,
    status: int,
):
    settings.UPSTREAM_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8"]
    make_channel()
    with FakeUpstream() as elsewhere:
        location = f"{elsewhere.base_url}/chat/completions"
        upstream.script(Reply(status=status, headers={"location": location}))

        response = v1(CHAT, json_body=BODY, headers=bearer(api_key))

        assert elsewhere.requests == []
    assert response.status_code >= 500
    assert_openai_error(response, response.status_code)
    assert len(upstream.requests) == 1
    nothing_charged()


def channel_at(base_url: str) -> Channel:
    """A channel saved without the save-time check, to test the connect-time one alone."""
    return Channel.objects.create(
        name=base_url, provider="compatible", base_url=base_url, served_models=[MODEL], api_key="k"
    )


def several_addresses(monkeypatch: pytest.MonkeyPatch, name: str, addresses: list[str]) -> None:
    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != name:
            return real_getaddrinfo(host, port, *args, **kwargs)
        return [info for address in addresses for info in real_getaddrinfo(address, port)[:1]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_name_with_several_addresses_connects_to_the_next_when_one_refuses(
    api_key: str,
    upstream: FakeUpstream,
    customer: Any,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
):
    settings.UPSTREAM_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8"]
    # Nothing listens on 127.0.0.2 at the fake's port: the connection moves on to 127.0.0.1.
    several_addresses(monkeypatch, "multi.example.test", ["127.0.0.2", "127.0.0.1"])
    channel_at(f"http://multi.example.test:{upstream.port}/v1")

    assert v1(CHAT, json_body=BODY, headers=bearer(api_key)).status_code == 200
    assert len(upstream.requests) == 1


def test_a_name_with_one_forbidden_address_among_several_is_refused_at_connect(
    api_key: str,
    upstream: FakeUpstream,
    nothing_charged: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
):
    settings.UPSTREAM_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    several_addresses(monkeypatch, "mixed.example.test", ["127.0.0.1", "169.254.169.254"])
    channel_at(f"http://mixed.example.test:{upstream.port}/v1")

    assert_openai_error(v1(CHAT, json_body=BODY, headers=bearer(api_key)), 503)
    assert upstream.requests == []
    nothing_charged()
