"""The console API for the signed-in user's balance (`/api/console/balance/`)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.models import Wallet
from billing.money import format_amount


class BalanceSerializer(serializers.Serializer[dict[str, object]]):
    currency = serializers.CharField()
    balance = serializers.IntegerField(help_text=_("In nano-units of the currency."))
    held = serializers.IntegerField(help_text=_("Reserved by requests in flight."))
    available = serializers.IntegerField(help_text=_("Balance minus what is held."))
    balance_display = serializers.CharField()
    available_display = serializers.CharField()


class BalanceView(APIView):
    """Your balance, what requests in flight hold, and what is available."""

    @extend_schema(responses=BalanceSerializer)
    def get(self, request: Request) -> Response:
        wallet = Wallet.objects.for_user(request.user.pk)
        data = {
            "currency": settings.PLATFORM_CURRENCY,
            "balance": wallet.balance,
            "held": wallet.held,
            "available": wallet.available,
            "balance_display": format_amount(wallet.balance),
            "available_display": format_amount(wallet.available),
        }
        return Response(BalanceSerializer(data).data)
