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
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from config.health import readiness
from gateway import health as gateway_health


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
    index_template = "admin/tokengate_index.html"

    def get_urls(self) -> list[Any]:
        health = self.admin_view(self.system_health_view)
        return [path("system-health/", health, name="system_health"), *super().get_urls()]

    def system_health_view(self, request: HttpRequest) -> HttpResponse:
        """Operators: do the services answer, and how did the gateway do in the last hour."""
        if not request.user.has_perm("gateway.view_channel"):
            raise PermissionDenied
        context = {
            **self.each_context(request),
            "title": _("System health"),
            "checks": async_to_sync(readiness)(),
            "traffic": gateway_health.last_hour(),
        }
        return TemplateResponse(request, "admin/system_health.html", context)

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
