"""First-party page-view counts, kept only for people who allowed analytics cookies.

A view is recorded as the page's URL name (never the address, which can carry tokens), the
day and the language, linked to the account or, signed out, to the browser's consent id.
With `Sec-GPC: 1` nothing is recorded, whatever was chosen before. Staff see only totals.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from privacy import cookies
from privacy.consent import BROWSER_COOKIE
from privacy.models import PageView


def is_countable(request: HttpRequest, response: HttpResponse) -> bool:
    """A console page seen: a successful GET of HTML from a named, non-admin URL."""
    match = request.resolver_match
    return (
        request.method == "GET"
        and response.status_code == 200
        and response.get("Content-Type", "").startswith("text/html")
        and match is not None
        and bool(match.url_name)
        and "admin" not in match.namespaces
    )


def record_page_view(request: HttpRequest) -> PageView | None:
    """Record the view of `request`'s page if, and only if, its visitor consented."""
    # The banner's own reading of the choice, Global Privacy Control included.
    if not cookies.cookie_choices_of(request).analytics:
        return None
    user = cookies.signed_in_user(request)
    browser_id = request.COOKIES.get(BROWSER_COOKIE, "")
    assert request.resolver_match is not None
    now = timezone.now()
    return PageView.objects.create(
        page=request.resolver_match.view_name[:100],
        day=now.date(),
        language=getattr(request, "LANGUAGE_CODE", "")[:10],
        user=user,
        # Signed in, the account is the visitor: the browser is not linked to it here.
        browser_id="" if user is not None else browser_id,
        created_at=now,
    )


def totals_by_day_and_page() -> QuerySet[PageView, Any]:
    """Views and distinct visitors per day and page, newest day first: no one is singled out."""
    return (
        PageView.objects.values("day", "page")
        .annotate(
            views=Count("id"),
            signed_in=Count("user", distinct=True),
            browsers=Count("browser_id", distinct=True, filter=~Q(browser_id="")),
        )
        .order_by("-day", "-views", "page")
    )
