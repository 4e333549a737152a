"""The admin site: staff sign in through allauth (password, then TOTP) and must use MFA.

With `ADMIN_REQUIRE_MFA` (on by default in production) a staff member without an activated
authenticator is sent to set one up, and a session that was not confirmed with a second
factor is sent to confirm it, before any admin page opens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _


def mfa_step_missing(request: HttpRequest) -> str | None:
    """Where a signed-in staff member must go first to satisfy the MFA rule, if anywhere."""
    if not settings.ADMIN_REQUIRE_MFA or not request.user.is_authenticated:
        return None
    if not Authenticator.objects.filter(
        user_id=request.user.pk, type=Authenticator.Type.TOTP
    ).exists():
        return reverse("mfa_activate_totp")
    records = get_authentication_records(request, request.user)
    if not any(record.get("method") == "mfa" for record in records):
        return reverse("mfa_reauthenticate")
    return None


class TokengateAdminSite(admin.AdminSite):
    site_header = _("Tokengate administration")
    site_title = _("Tokengate administration")

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.user.is_authenticated:
            # Signed in but not staff: allauth would send them straight back here.
            raise PermissionDenied
        # One sign-in for everyone: allauth's, which asks for the TOTP code.
        next_url = request.GET.get("next") or reverse("admin:index")
        return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")

    def admin_view(self, view: Callable[..., Any], cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            step = mfa_step_missing(request)
            if step is not None and request.user.is_staff:
                return HttpResponseRedirect(f"{step}?{urlencode({'next': request.path})}")
            return inner(request, *args, **kwargs)

        return guarded
