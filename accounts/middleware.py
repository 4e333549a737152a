from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from accounts.models import Preferences


class UserPreferencesMiddleware:
    """Show a signed-in user's pages in their chosen language and time zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            preferences = Preferences.objects.filter(user_id=request.user.pk).first()
            if preferences is not None:
                translation.activate(preferences.language)
                request.LANGUAGE_CODE = preferences.language
                timezone.activate(zoneinfo.ZoneInfo(preferences.time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
