"""The cookie banner: which optional cookies a browser may set, and recording its choice.

A choice counts while it was made under the current notice of each banner purpose, so a new
notice version (written in admin) shows the banner again. The choice itself is found through
the browser's id cookie (strictly necessary) and, when signed in, the account.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, QueryDict

from accounts.models import User
from privacy.consent import BROWSER_COOKIE, new_browser_id, record_consent
from privacy.models import ConsentNotice, ConsentRecord, Purpose

BANNER_PURPOSES = (Purpose.FUNCTIONAL_COOKIES, Purpose.ANALYTICS_COOKIES)
# Functional cookies that only exist with consent; removed again when it is withdrawn.
CONSENTED_COOKIES = ("theme",)


@dataclass(frozen=True)
class CookieChoices:
    functional: bool
    analytics: bool
    # Made under the current notice of every banner purpose.
    current: bool


def honours_gpc(request: HttpRequest) -> bool:
    return request.headers.get("Sec-GPC") == "1"


def signed_in_user(request: HttpRequest) -> User | None:
    user = getattr(request, "user", None)
    return user if isinstance(user, User) else None


def current_notice_versions() -> dict[str, int]:
    notices = ConsentNotice.objects.filter(purpose__in=BANNER_PURPOSES)
    rows = notices.values("purpose").annotate(latest=Max("version"))
    return {row["purpose"]: row["latest"] for row in rows}


def cookie_choices_of(request: HttpRequest) -> CookieChoices:
    """This browser's (or account's) latest choice per banner purpose."""
    user = signed_in_user(request)
    records = ConsentRecord.objects.of_subject(
        user_id=user.pk if user else None, browser_id=request.COOKIES.get(BROWSER_COOKIE, "")
    )
    latest = {purpose: records.latest_record(purpose) for purpose in BANNER_PURPOSES}
    versions = current_notice_versions()
    current = all(
        record is not None and record.notice_version == versions.get(purpose)
        for purpose, record in latest.items()
    )
    functional = latest[Purpose.FUNCTIONAL_COOKIES]
    analytics = latest[Purpose.ANALYTICS_COOKIES]
    return CookieChoices(
        functional=bool(functional and functional.granted),
        analytics=bool(analytics and analytics.granted) and not honours_gpc(request),
        current=current,
    )


def wanted_from_form(data: QueryDict, *, gpc: bool) -> dict[str, bool]:
    """The banner's three buttons: accept all, reject all, or save the ticked boxes."""
    choice = data.get("choice", "save")
    wanted: dict[str, bool] = {
        purpose: choice == "accept_all" or (choice == "save" and data.get(purpose) == "on")
        for purpose in BANNER_PURPOSES
    }
    # Global Privacy Control keeps analytics off whatever the buttons say.
    if gpc:
        wanted[Purpose.ANALYTICS_COOKIES] = False
    return wanted


def record_cookie_choices(*, request: HttpRequest, wanted: dict[str, bool]) -> str:
    """One record per banner purpose; returns the browser id that remembers the choice."""
    browser_id = request.COOKIES.get(BROWSER_COOKIE) or new_browser_id()
    for purpose, granted in wanted.items():
        record_consent(
            purpose=purpose,
            granted=granted,
            method=ConsentRecord.Method.BANNER,
            user=signed_in_user(request),
            browser_id=browser_id,
            request=request,
        )
    return browser_id


def functional_cookies_allowed(request: HttpRequest) -> bool:
    return cookie_choices_of(request).functional


def set_language_cookie(response: HttpResponse, language: str, *, remember: bool) -> None:
    """The language the person picked: remembered with functional consent (privacy policy
    6.2), otherwise kept only for this browser session, which carries out the request."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.SESSION_COOKIE_AGE if remember else None,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        samesite="Lax",
    )


def forget_functional_cookies(request: HttpRequest, response: HttpResponse) -> None:
    """Functional consent withdrawn: no functional cookie outlives this browser session."""
    for name in CONSENTED_COOKIES:
        if name in request.COOKIES:
            response.delete_cookie(name)
    language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if language:
        set_language_cookie(response, language, remember=False)
