"""What the security page shows: sign-in methods, second factors and signed-in sessions.

The changes themselves are allauth's flows (password, email, connections, MFA, sessions);
this module only reads where the account stands, so the page can link to each flow.
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession

from accounts.models import User


@dataclass(frozen=True)
class SecurityOverview:
    has_password: bool
    emails: list[EmailAddress]
    social_accounts: list[SocialAccount]
    totp_active: bool
    recovery_codes_active: bool
    session_count: int


def security_overview(user: User) -> SecurityOverview:
    types = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    return SecurityOverview(
        has_password=user.has_usable_password(),
        emails=list(EmailAddress.objects.filter(user=user).order_by("-primary", "email")),
        social_accounts=list(SocialAccount.objects.filter(user=user).order_by("provider")),
        totp_active=Authenticator.Type.TOTP in types,
        recovery_codes_active=Authenticator.Type.RECOVERY_CODES in types,
        session_count=UserSession.objects.filter(user=user).count(),
    )
