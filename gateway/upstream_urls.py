"""Which upstream base URLs a channel may use: no private, loopback or metadata addresses.

A channel's base URL is operator input that the server then connects to, so it must not
reach the operator's own network (SSRF) unless the operator allows that range explicitly
with UPSTREAM_ALLOWED_PRIVATE_NETWORKS (for self-hosted models). The same rule is checked
twice: when a channel is saved (validate_upstream_url) and on every new connection
(guarded_transport), so DNS rebinding cannot slip past the first check; redirects are never
followed (see gateway.proxy).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def is_allowed(address: Address) -> bool:
    allowed = (
        ipaddress.ip_network(cidr, strict=False)
        for cidr in settings.UPSTREAM_ALLOWED_PRIVATE_NETWORKS
    )
    return is_public(address) or any(address in network for network in allowed)


def resolve(host: str) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        raise ValidationError(
            _("The host name %(host)s does not resolve."), params={"host": host}
        ) from error
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def validate_upstream_url(url: str) -> None:
    """Refuse URLs that are not http(s) or that point at an address not allowed."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError(_("Enter an http or https URL."))
    if parts.username or parts.password:
        raise ValidationError(_("Put the API key in its own field, not in the URL."))
    if any(not is_allowed(address) for address in resolve(parts.hostname)):
        raise ValidationError(
            _("%(host)s points to a private or reserved address, which upstreams may not use."),
            params={"host": parts.hostname},
        )


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Connects only to allowed addresses, checked when connecting (not only when saved).

    The host is resolved here and the connection made to the address that was checked, so a
    name that resolved to a public address when the channel was saved and to a private one
    now (DNS rebinding) is refused, and nothing resolves it a second time. TLS still verifies
    the certificate against the host name, which httpcore passes separately.
    """

    def __init__(self) -> None:
        self.backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
        except OSError as error:
            raise httpcore.ConnectError(f"Cannot resolve {host}.") from error
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        if not addresses or any(not is_allowed(address) for address in addresses):
            raise httpcore.ConnectError(f"{host} points to an address upstreams may not use.")
        failure: Exception | None = None
        for address in dict.fromkeys(addresses):  # each checked address in turn, as DNS ordered
            try:
                return await self.backend.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("Upstreams are reached over TCP only.")

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


def guarded_transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections go through GuardedNetworkBackend."""
    transport = httpx.AsyncHTTPTransport(limits=limits)
    # httpx has no public hook for the network backend: give it a pool built with ours.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedNetworkBackend(),
    )
    return transport
