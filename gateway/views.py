from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from accounts.http import AuthenticatedRequest
from billing.money import format_amount
from gateway.models import UsageLog


@login_required
def usage(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in user's own requests, newest first (metadata only)."""
    logs = UsageLog.objects.filter(user=request.user).select_related("api_token")
    model = request.GET.get("model", "")
    if model:
        logs = logs.filter(model=model)
    page = Paginator(logs, 50).get_page(request.GET.get("page"))
    for log in page:
        log.cost_shown = format_amount(log.cost)  # type: ignore[attr-defined]
    models = UsageLog.objects.filter(user=request.user).values_list("model", flat=True)
    context = {
        "logs": page,
        "models": sorted(set(models)),
        "model": model,
        "currency": settings.PLATFORM_CURRENCY,
    }
    return render(request, "gateway/usage.html", context)
