"""The request type of views behind `login_required`, for type checking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from accounts.models import User

    class AuthenticatedRequest(HttpRequest):
        user: User
else:
    AuthenticatedRequest = HttpRequest
