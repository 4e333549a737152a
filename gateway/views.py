from __future__ import annotations

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import ApiToken, Preferences, User
from billing.money import format_amount
from gateway import catalog, playground
from gateway.errors import ApiError
from gateway.models import UsageLog
from gateway.validation import MAX_OUTPUT_TOKENS


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


@login_required
def playground_page(request: AuthenticatedRequest) -> HttpResponse:
    """The chat page: the models the user may use, their default model selected."""
    token = ApiToken.objects.playground_for(request.user)
    context = {
        "models": async_to_sync(catalog.usable_models)(token),
        "default_model": Preferences.objects.for_user(request.user).default_model,
        "max_output_tokens": MAX_OUTPUT_TOKENS,
    }
    return render(request, "gateway/playground.html", context)


@login_required
@require_POST
async def playground_chat(request: AuthenticatedRequest) -> HttpResponse | StreamingHttpResponse:
    """One chat completion, streamed as server-sent events and billed like /v1."""
    user = await request.auser()
    assert isinstance(user, User)  # login_required lets only a signed-in user through
    try:
        chunks = await playground.astream_chat(
            user=user,
            raw_body=request.body,
            client_ip=request.META.get("REMOTE_ADDR", ""),
        )
    except ApiError as error:
        body = {"error": {"message": playground.error_message(error), "code": error.code}}
        return JsonResponse(body, status=error.status)
    response = StreamingHttpResponse(chunks, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
