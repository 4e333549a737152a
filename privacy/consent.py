"""Recording consent: every grant and withdrawal is a new record; the latest one decides.

Two preferences act on consent-based processing directly (content logging and product-update
emails, read by the gateway and the mailers), so recording a choice for those purposes also
sets the preference; and a change of those preferences in the console records a choice
(`privacy.signals`). Withdrawing is always one action, like granting.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

from accounts.models import Preferences, User
from privacy.models import ConsentNotice, ConsentRecord, Purpose

# A random id for a browser's consent choices; strictly necessary to honour them.
BROWSER_COOKIE = "tg_browser"


def set_privacy_cookie(response: HttpResponse, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
    )


# The preference that carries out each consent purpose, where one exists.
PREFERENCE_OF = {
    Purpose.CONTENT_LOGGING: "content_logging",
    Purpose.MARKETING_EMAILS: "product_updates",
}
UNSUBSCRIBE_SALT = "privacy.unsubscribe"
# The purposes a person chooses in the privacy centre (Tokengate never sells or shares data).
CENTRE_PURPOSES = (
    Purpose.CONTENT_LOGGING,
    Purpose.MARKETING_EMAILS,
    Purpose.FUNCTIONAL_COOKIES,
    Purpose.ANALYTICS_COOKIES,
)


@dataclass(frozen=True)
class CurrentChoice:
    purpose: Purpose
    notice: str
    # The latest grant or withdrawal; None when never asked.
    record: ConsentRecord | None


def truncate_ip(ip: str) -> str:
    """Keep the network, drop the host: /24 for IPv4, /48 for IPv6."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def current_notice_version(purpose: str) -> int | None:
    notice = ConsentNotice.objects.filter(purpose=purpose).order_by("-version").first()
    return notice.version if notice else None


def new_browser_id() -> str:
    return secrets.token_urlsafe(24)


def record_consent(
    *,
    purpose: str,
    granted: bool,
    method: str,
    user: User | None = None,
    browser_id: str = "",
    request: HttpRequest | None = None,
) -> ConsentRecord:
    """Append a grant or withdrawal and carry it out on the matching preference."""
    meta = request.META if request is not None else {}
    preference = PREFERENCE_OF.get(Purpose(purpose))
    with transaction.atomic():
        # Preferences created after the record would be recorded as a withdrawal at signup
        # (privacy.signals), so they exist first.
        preferences = (
            Preferences.objects.for_user(user)
            if user is not None and preference is not None
            else None
        )
        record = ConsentRecord.objects.create(
            user=user,
            browser_id=browser_id,
            purpose=purpose,
            notice_version=current_notice_version(purpose),
            granted=granted,
            method=method,
            ip_truncated=truncate_ip(meta.get("REMOTE_ADDR", "")),
            user_agent=meta.get("HTTP_USER_AGENT", "")[:255],
        )
        if preferences and preference and getattr(preferences, preference) != granted:
            setattr(preferences, preference, granted)
            # Tells privacy.signals not to record this change a second time.
            preferences._recorded_by_consent = True  # type: ignore[attr-defined]
            preferences.save(update_fields=[preference])
    return record


def has_consent(*, purpose: str, user_id: int | None = None, browser_id: str = "") -> bool:
    choice = ConsentRecord.objects.of_subject(user_id=user_id, browser_id=browser_id)
    return choice.latest_choice(purpose) is True


def unsubscribe_token(user: User) -> str:
    return signing.dumps(
        {"user": user.pk, "purpose": Purpose.MARKETING_EMAILS}, salt=UNSUBSCRIBE_SALT
    )


def read_unsubscribe_token(token: str) -> User | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return User.objects.filter(pk=data.get("user")).first()


def unsubscribe_headers(user: User, *, site_url: str) -> dict[str, str]:
    """Headers for a marketing email: one-click unsubscribe (RFC 8058) without signing in."""
    url = f"{site_url.rstrip('/')}/privacy/unsubscribe/{unsubscribe_token(user)}/"
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def notice_text(purpose: str) -> str:
    """The current notice for `purpose` in the active language (English when missing)."""
    notices = ConsentNotice.objects.filter(purpose=purpose).order_by("-version")
    latest = notices.first()
    if latest is None:
        return ""
    localized = notices.filter(version=latest.version, language=get_language()).first()
    return (localized or latest).text


def current_choices(*, user_id: int, browser_id: str = "") -> list[CurrentChoice]:
    """The privacy centre's list: the latest record and current notice of each purpose."""
    records = ConsentRecord.objects.of_subject(user_id=user_id, browser_id=browser_id)
    return [
        CurrentChoice(
            purpose=purpose,
            notice=notice_text(purpose),
            record=records.latest_record(purpose),
        )
        for purpose in CENTRE_PURPOSES
    ]
