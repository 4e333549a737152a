"""RFC 6238 codes as an authenticator app computes them, for signing people in with MFA."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

from django.test import Client


def totp_code(secret: str, at: float | None = None) -> str:
    """RFC 6238 with allauth's defaults: SHA-1, 30-second steps, six digits."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def set_up_totp(client: Client, *, password: str) -> str:
    """Activate an authenticator through allauth's pages, as the signed-in person would."""
    setup = client.get("/accounts/2fa/totp/activate/", follow=True)
    if setup.redirect_chain:  # allauth asks for the password again before MFA changes.
        client.post(setup.redirect_chain[-1][0], {"password": password})
        setup = client.get("/accounts/2fa/totp/activate/")
    secret: str = setup.context["form"].secret
    activated = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert activated.status_code == 302
    return secret
