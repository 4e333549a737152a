from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import get_language

from accounts.models import User
from privacy import cookies, policies


def policy_banner(request: HttpRequest) -> dict[str, object]:
    """Coming material policy changes for the console banner (privacy policy 9.1)."""
    if not isinstance(getattr(request, "user", None), User):
        return {}
    return {"coming_policy_changes": policies.coming_changes(request.user, get_language())}  # type: ignore[arg-type]


def cookie_banner(request: HttpRequest) -> dict[str, object]:
    """Whether to show the cookie banner, and what this browser has agreed to."""
    choices = cookies.cookie_choices_of(request)
    return {
        "cookie_choices": choices,
        "show_cookie_banner": not choices.current,
        "gpc_honoured": cookies.honours_gpc(request),
        # The theme toggle and any other functional cookie check this before setting one.
        "functional_cookies_allowed": choices.functional,
    }
