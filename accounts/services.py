"""Account workflows that touch several models: creating users for operators, closing accounts."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.db import transaction
from django.utils import timezone

from accounts.models import User


def create_user(
    *, email: str, password: str | None = None, staff: bool = False, superuser: bool = False
) -> User:
    """Create a user whose email is already verified (operators vouch for the address)."""
    with transaction.atomic():
        user = User.objects.create_user(
            email,
            password,
            username=get_adapter().generate_unique_username([email.split("@")[0], "user"]),
            is_staff=staff or superuser,
            is_superuser=superuser,
        )
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


def close_account(user: User) -> None:
    """Deactivate at once, revoke every key and session, and record the closure date."""
    with transaction.atomic():
        user.is_active = False
        user.closed_at = timezone.now()
        user.save(update_fields=["is_active", "closed_at"])
        user.api_tokens.all().delete()
    for session in UserSession.objects.filter(user=user):
        session.end()
