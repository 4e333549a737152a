"""Routes of the console API (`/api/console/`, signed-in user, session + CSRF) and its
OpenAPI schema (`/api/schema/`, drf-spectacular)."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from accounts.api import ApiKeyViewSet
from billing.api import BalanceView
from gateway.api import UsageLogViewSet

router = SimpleRouter()
router.register("keys", ApiKeyViewSet, basename="api-key")
router.register("usage", UsageLogViewSet, basename="api-usage")


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(request: Request, path: str) -> Response:
    """Unknown API paths answer JSON, like the rest of the API, not Django's HTML page."""
    raise NotFound


urlpatterns: list[URLPattern | URLResolver] = [
    path("console/", include(router.urls)),
    path("console/balance/", BalanceView.as_view(), name="api-balance"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("<path:path>", not_found),
]


def document_errors(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular hook: the error answers DRF gives, on every operation they apply to.

    400 carries field errors, 403 (not signed in, or no CSRF token) and 404 a `detail`.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorDetail"] = {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    }
    detail = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorDetail"}}}
    fields = {"application/json": {"schema": {"type": "object", "additionalProperties": True}}}
    for route, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault("403", {"description": "Forbidden", "content": detail})
            if "{" in route or "page" in str(operation.get("parameters", "")):
                responses.setdefault("404", {"description": "Not found", "content": detail})
            if operation.get("requestBody") or operation.get("parameters"):
                responses.setdefault("400", {"description": "Invalid input", "content": fields})
    return result


def only_the_console_api(endpoints: list[Any], **kwargs: Any) -> list[Any]:
    """drf-spectacular hook: the schema describes the console API, not the schema view."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/console/")]
