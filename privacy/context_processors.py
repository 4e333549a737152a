from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import get_language

from accounts.models import User
from privacy import policies


def policy_banner(request: HttpRequest) -> dict[str, object]:
    """Coming material policy changes for the console banner (privacy policy 9.1)."""
    if not isinstance(getattr(request, "user", None), User):
        return {}
    return {"coming_policy_changes": policies.coming_changes(request.user, get_language())}  # type: ignore[arg-type]
