from __future__ import annotations

from typing import TYPE_CHECKING

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import ApiToken, Preferences, User
from gateway import catalog, model_catalog, playground, reports
from gateway.errors import ApiError
from gateway.forms import UsageFilterForm
from gateway.validation import MAX_OUTPUT_TOKENS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Code snippets of the quickstart: template name, title (tool names stay untranslated), intro.
SNIPPETS: list[tuple[str, StrOrPromise, StrOrPromise]] = [
    ("curl", "curl", _("From a terminal:")),
    ("python", "Python", _("With the official openai package:")),
    ("node", "Node.js", _("With the official openai npm package:")),
    ("stream", _("Streaming"), _("Set stream to true to receive the answer as it is written:")),
]


def home(request: HttpRequest) -> HttpResponse:
    """The dashboard for a signed-in user; the landing page for everyone else."""
    if not request.user.is_authenticated:
        return render(request, "accounts/landing.html")
    summary = reports.summarize(request.user)
    usage = reports.daily_usage(request.user)
    context = {
        "summary": summary,
        "usage": usage,
        "chart": reports.chart_data(usage),
        "currency": settings.PLATFORM_CURRENCY,
    }
    return render(request, "gateway/dashboard.html", context)


@login_required
def usage(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in user's own requests, newest first (metadata only), filtered."""
    form = UsageFilterForm(request.GET, user=request.user)
    context = {"form": form, "currency": settings.PLATFORM_CURRENCY, "has_usage": False}
    if not form.is_valid():
        return render(request, "gateway/usage.html", context, status=400)
    logs = reports.filter_usage(request.user, **form.cleaned_data)
    page = Paginator(logs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context |= {
        "logs": page,
        "query": query.urlencode(),
        "has_usage": request.user.usage_logs.exists(),
    }
    return render(request, "gateway/usage.html", context)


@login_required
def usage_csv(request: AuthenticatedRequest) -> HttpResponseBase:
    """The filtered rows of the usage page as a CSV file, streamed."""
    form = UsageFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return usage(request)
    rows = reports.usage_csv_rows(
        reports.filter_usage(request.user, **form.cleaned_data),
        currency=settings.PLATFORM_CURRENCY,
        zone=timezone.get_current_timezone(),
    )
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    filename = f"tokengate-usage-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def models(request: AuthenticatedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    context = {
        "entries": model_catalog.entries_for(request.user.pk, query=query),
        "query": query,
        "currency": settings.PLATFORM_CURRENCY,
        "default_model": Preferences.objects.for_user(request.user).default_model,
    }
    return render(request, "gateway/models.html", context)


@login_required
@require_POST
def set_default_model(request: AuthenticatedRequest) -> HttpResponse:
    """The model the playground and quickstart start with; only one the user may call."""
    model = request.POST.get("model", "")
    if model not in {entry.model for entry in model_catalog.entries_for(request.user.pk)}:
        raise Http404
    preferences = Preferences.objects.for_user(request.user)
    preferences.default_model = model
    preferences.save(update_fields=["default_model"])
    messages.success(request, _("%(model)s is now your default model.") % {"model": model})
    return redirect("model_catalog")


@login_required
def quickstart(request: AuthenticatedRequest) -> HttpResponse:
    preferences = Preferences.objects.filter(user=request.user).first()
    model = preferences.default_model if preferences else ""
    if not model:
        entries = model_catalog.entries_for(request.user.pk)
        model = entries[0].model if entries else ""
    values = {"base_url": request.build_absolute_uri("/v1"), "model": model or "MODEL_NAME"}
    snippets = [
        {"name": name, "title": title, "intro": intro, "code": code_snippet(name, values)}
        for name, title, intro in SNIPPETS
    ]
    context = {**values, "has_model": bool(model), "snippets": snippets}
    return render(request, "gateway/quickstart.html", context)


def code_snippet(name: str, values: dict[str, str]) -> str:
    return render_to_string(f"gateway/snippets/{name}.txt", values).strip()


@login_required
def playground_page(request: AuthenticatedRequest) -> HttpResponse:
    """The chat page: the models the user may use, their default model selected."""
    token = ApiToken.objects.playground_for(request.user)
    context = {
        "models": async_to_sync(catalog.models_for_key)(token),
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
