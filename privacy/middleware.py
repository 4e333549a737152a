from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.models import User
from privacy import analytics
from privacy.consent import BROWSER_COOKIE, new_browser_id, record_consent, set_privacy_cookie
from privacy.models import ConsentRecord, Purpose

GPC_COOKIE = "tg_gpc"
# Global Privacy Control opts out of these (CCPA: sale/sharing; and analytics).
GPC_PURPOSES = (Purpose.SALE_SHARING, Purpose.ANALYTICS_COOKIES)


class GlobalPrivacyControlMiddleware:
    """Honour `Sec-GPC: 1` server-side, for the browser and the signed-in account.

    The opt-out is recorded once per browser (a cookie remembers it was) and once per account.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.headers.get("Sec-GPC") != "1":
            return self.get_response(request)
        browser_id = request.COOKIES.get(BROWSER_COOKIE) or new_browser_id()
        if request.COOKIES.get(GPC_COOKIE) != "1":
            record_opt_outs(request, browser_id=browser_id, user=None)
        user = request.user if isinstance(request.user, User) else None
        if user is not None and not request.session.get("gpc_recorded"):
            record_opt_outs(request, browser_id="", user=user)
            request.session["gpc_recorded"] = True
        response = self.get_response(request)
        set_privacy_cookie(response, BROWSER_COOKIE, browser_id)
        set_privacy_cookie(response, GPC_COOKIE, "1")
        return response


def record_opt_outs(request: HttpRequest, *, browser_id: str, user: User | None) -> None:
    for purpose in GPC_PURPOSES:
        record_consent(
            purpose=purpose,
            granted=False,
            method=ConsentRecord.Method.GPC,
            user=user,
            browser_id=browser_id,
            request=request,
        )


class PageViewMiddleware:
    """Count console page views for visitors who allowed analytics cookies (privacy.analytics)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if analytics.is_countable(request, response):
            analytics.record_page_view(request)
        return response
