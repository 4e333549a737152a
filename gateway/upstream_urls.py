"""Which upstream base URLs a channel may use: no private, loopback or metadata addresses.

A channel's base URL is operator input that the server then connects to, so it must not
reach the operator's own network (SSRF) unless the operator allows that range explicitly
with UPSTREAM_ALLOWED_PRIVATE_NETWORKS (for self-hosted models).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

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
