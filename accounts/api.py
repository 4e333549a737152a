"""The console API for the signed-in user's API keys (`/api/console/keys/`).

The same rules as the console pages: keys are issued by `ApiToken.objects.issue` (the key is
in the create response only), validated by the model's validators, and only the owner's
keys are visible. Session authentication with CSRF, like the pages.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import (
    ApiToken,
    validate_cidr_list,
    validate_future_expiry,
    validate_model_list,
)


class ApiKeySerializer(serializers.ModelSerializer[ApiToken]):
    allowed_models = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        validators=[validate_model_list],
    )
    allowed_ips = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        validators=[validate_cidr_list],
    )

    class Meta:
        model = ApiToken
        fields: tuple[str, ...] = (
            "id",
            "name",
            "masked_key",
            "enabled",
            "expires_at",
            "allowed_models",
            "allowed_ips",
            "rpm_limit",
            "tpm_limit",
            "created_at",
            "last_used_at",
        )
        read_only_fields = ("masked_key", "created_at", "last_used_at")
        # PostgreSQL's integer, whatever the database the schema was generated on.
        extra_kwargs = {
            "rpm_limit": {"max_value": 2**31 - 1},
            "tpm_limit": {"max_value": 2**31 - 1},
        }

    def validate_expires_at(self, value: Any) -> Any:
        if self.instance is None or value != self.instance.expires_at:
            validate_future_expiry(value)
        return value


class CreatedApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text=_("The key itself, shown this once."))

    class Meta(ApiKeySerializer.Meta):
        fields = (*ApiKeySerializer.Meta.fields, "key")


class ApiKeyViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[ApiToken],
):
    """List, create (the key is returned once), rename, disable/enable and delete your keys."""

    queryset = ApiToken.objects.none()  # for the schema; get_queryset picks the user's keys
    serializer_class = ApiKeySerializer
    pagination_class = None
    lookup_value_regex = r"[0-9]{1,18}"  # within a bigint: longer ids cannot exist
    http_method_names = ["get", "post", "patch", "delete"]

    def get_queryset(self) -> QuerySet[ApiToken]:
        return ApiToken.objects.keys().filter(user=self.request.user)

    def get_serializer_class(self) -> type[ApiKeySerializer]:
        return CreatedApiKeySerializer if self.action == "create" else ApiKeySerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ApiKeySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, raw_key = ApiToken.objects.issue(user=request.user, **serializer.validated_data)
        token.key = raw_key  # type: ignore[attr-defined]
        response = Response(CreatedApiKeySerializer(token).data, status=201)
        # The key is in this response only: no browser or proxy may keep a copy.
        response["Cache-Control"] = "no-store"
        return response
