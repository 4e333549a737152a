from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import ApiTokenForm, CloseAccountForm, PreferencesForm
from accounts.http import AuthenticatedRequest
from accounts.models import ApiToken, Preferences


@login_required
def api_keys(request: AuthenticatedRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, raw_key = ApiToken.objects.issue(
            user=request.user, **{field: form.cleaned_data[field] for field in form.Meta.fields}
        )
        context = {"token": token, "raw_key": raw_key}
        response = render(request, "accounts/api_key_created.html", context)
        # The key is on this page only: no browser or proxy may keep a copy.
        add_never_cache_headers(response)
        return response
    tokens = request.user.api_tokens.all()
    return render(request, "accounts/api_keys.html", {"tokens": tokens, "form": form})


@login_required
def edit_api_key(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    form = ApiTokenForm(request.POST or None, instance=token)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The API key was saved."))
        return redirect("api_keys")
    return render(request, "accounts/api_key_edit.html", {"token": token, "form": form})


@login_required
@require_POST
def toggle_api_key(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    token.enabled = not token.enabled
    token.save(update_fields=["enabled"])
    if token.enabled:
        messages.success(request, _("The API key %(name)s is enabled.") % {"name": token.name})
    else:
        messages.success(request, _("The API key %(name)s is disabled.") % {"name": token.name})
    return redirect("api_keys")


@login_required
def delete_api_key(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    if request.method == "POST":
        token.delete()
        messages.success(request, _("The API key %(name)s was deleted.") % {"name": token.name})
        return redirect("api_keys")
    return render(request, "accounts/api_key_delete.html", {"token": token})


@login_required
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    form = PreferencesForm(
        request.POST or None, instance=Preferences.objects.for_user(request.user)
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        response = HttpResponseRedirect(reverse("preferences"))
        set_language_cookie(response, form.instance.language)
        messages.success(request, _("Your preferences were saved."))
        return response
    return render(request, "accounts/preferences.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the console language; remembered in a cookie and, when signed in, the preferences."""
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("home")
    response = HttpResponseRedirect(next_url)
    language = request.POST.get("language", "")
    if check_for_language(language) and language in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            Preferences.objects.update_or_create(user=request.user, defaults={"language": language})
        set_language_cookie(response, language)
    return response


def set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.SESSION_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        samesite="Lax",
    )


@login_required
@reauthentication_required
def close_account(request: AuthenticatedRequest) -> HttpResponse:
    form = CloseAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.close_account(request.user)
        logout(request)
        messages.success(request, _("Your account is closed. We are sorry to see you go."))
        return redirect("home")
    return render(request, "accounts/close_account.html", {"form": form})
