"""The console API for the signed-in user's usage logs (`/api/console/usage/`): metadata only,
newest first, filtered by date, model and key, paginated like the usage page."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, pagination, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from gateway.models import UsageLog


class UsageLogSerializer(serializers.ModelSerializer[UsageLog]):
    api_key = serializers.IntegerField(source="api_token_id", allow_null=True, read_only=True)

    class Meta:
        model = UsageLog
        fields = (
            "request_id",
            "created_at",
            "api_key",
            "endpoint",
            "model",
            "stream",
            "status_code",
            "latency_ms",
            "first_token_ms",
            "input_tokens",
            "cached_input_tokens",
            "output_tokens",
            "cost",
            "error_class",
        )
        read_only_fields = fields


class UsageFilter(serializers.Serializer[dict[str, Any]]):
    date_from = serializers.DateField(required=False, help_text=_("First day (UTC), inclusive."))
    date_to = serializers.DateField(required=False, help_text=_("Last day (UTC), inclusive."))
    model = serializers.CharField(required=False, max_length=100)
    api_key = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class UsagePages(pagination.PageNumberPagination):
    page_size = 50


def day_start(day: Any) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class UsageLogViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[UsageLog]):
    """Your requests, newest first; `cost` is in nano-units of the platform currency."""

    queryset = UsageLog.objects.none()  # for the schema; get_queryset picks the user's logs
    serializer_class = UsageLogSerializer
    pagination_class = UsagePages

    def get_queryset(self) -> QuerySet[UsageLog]:
        return UsageLog.objects.filter(user=self.request.user).order_by("-created_at", "-id")

    @extend_schema(parameters=[UsageFilter])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A plain dict: as form input, DRF would take an empty value for an absent one.
        filters = UsageFilter(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        logs = self.get_queryset()
        wanted = filters.validated_data
        if "date_from" in wanted:
            logs = logs.filter(created_at__gte=day_start(wanted["date_from"]))
        if "date_to" in wanted:
            logs = logs.filter(created_at__lt=day_start(wanted["date_to"]) + timedelta(days=1))
        if "model" in wanted:
            logs = logs.filter(model=wanted["model"])
        if "api_key" in wanted:
            logs = logs.filter(api_token_id=wanted["api_key"])
        page = self.paginate_queryset(logs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
