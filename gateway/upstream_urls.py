"""Which upstream base URLs a channel may use: no private, loopback or metadata addresses.

A channel's base URL is operator input that the server then connects to, so it must not
reach the operator's own network (SSRF) unless the operator allows that range explicitly
with UPSTREAM_ALLOWED_PRIVATE_NETWORKS (for self-hosted models). The same rule is checked
twice: when a channel is saved (validate_upstream_url) and on every new connection
(GuardedResolver, is_allowed_literal), so DNS rebinding cannot slip past the first check;
redirects are never followed (see gateway.upstream).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
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


class GuardedResolver(AbstractResolver):
    """Resolves upstream host names for aiohttp, refusing any that points at an address not
    allowed, when connecting (not only when saved).

    aiohttp connects to the addresses returned here, the ones just checked, so a name that
    resolved to a public address when the channel was saved and to a private one now (DNS
    rebinding) is refused, and nothing resolves it a second time. TLS still verifies the
    certificate against the host name.
    """

    def __init__(self) -> None:
        self.resolver = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self.resolver.resolve(host, port, family)
        if not results or any(not is_allowed(ipaddress.ip_address(r["host"])) for r in results):
            raise OSError(f"{host} points to an address upstreams may not use.")
        return results

    async def close(self) -> None:
        await self.resolver.close()


def is_allowed_literal(host: str) -> bool:
    """False for an IP address not allowed; names are left to GuardedResolver (aiohttp does
    not resolve addresses written as such)."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return True
    return is_allowed(address)
