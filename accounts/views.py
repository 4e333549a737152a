from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import security as account_security
from accounts import services, support
from accounts.forms import (
    ApiTokenForm,
    CloseAccountForm,
    FeedbackForm,
    PreferencesForm,
    ReplyForm,
    TicketForm,
)
from accounts.http import AuthenticatedRequest
from accounts.models import ApiToken, Preferences, SupportTicket
from privacy.cookies import functional_cookies_allowed, set_language_cookie


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
    context = {
        "tokens": request.user.api_tokens.keys(),
        "form": form,
        "currency": settings.PLATFORM_CURRENCY,
    }
    return render(request, "accounts/api_keys.html", context)


@login_required
def edit_api_key(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.keys(), pk=token_id, user=request.user)
    form = ApiTokenForm(request.POST or None, instance=token)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The API key was saved."))
        return redirect("api_keys")
    return render(request, "accounts/api_key_edit.html", {"token": token, "form": form})


@login_required
@require_POST
def toggle_api_key(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.keys(), pk=token_id, user=request.user)
    token.enabled = not token.enabled
    token.save(update_fields=["enabled"])
    if token.enabled:
        messages.success(request, _("The API key %(name)s is enabled.") % {"name": token.name})
    else:
        messages.success(request, _("The API key %(name)s is disabled.") % {"name": token.name})
    return redirect("api_keys")


@login_required
def delete_api_key(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.keys(), pk=token_id, user=request.user)
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
        remember = functional_cookies_allowed(request)
        set_language_cookie(response, form.instance.language, remember=remember)
        messages.success(request, _("Your preferences were saved."))
        return response
    return render(request, "accounts/preferences.html", {"form": form})


@login_required
def security(request: AuthenticatedRequest) -> HttpResponse:
    """A hub for allauth's flows: password, email, connected accounts, MFA and sessions."""
    overview = account_security.security_overview(request.user)
    return render(request, "accounts/security.html", {"overview": overview})


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
        set_language_cookie(response, language, remember=functional_cookies_allowed(request))
    return response


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


@login_required
def support_tickets(request: AuthenticatedRequest) -> HttpResponse:
    form = TicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ticket = support.open_ticket(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your ticket was sent. We will email you when we reply."))
        return redirect("support_ticket", ticket_id=ticket.pk)
    page = Paginator(request.user.support_tickets.all(), 20).get_page(request.GET.get("page"))
    return render(request, "accounts/support/tickets.html", {"page": page, "form": form})


@login_required
def support_ticket(request: AuthenticatedRequest, ticket_id: int) -> HttpResponse:
    ticket = get_object_or_404(SupportTicket, pk=ticket_id, user=request.user)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and not ticket.is_closed and form.is_valid():
        support.add_user_reply(ticket, body=form.cleaned_data["body"])
        messages.success(request, _("Your reply was sent."))
        return redirect("support_ticket", ticket_id=ticket.pk)
    context = {"ticket": ticket, "thread": ticket.messages.all(), "form": form}
    return render(request, "accounts/support/ticket.html", context)


@login_required
@require_POST
def close_support_ticket(request: AuthenticatedRequest, ticket_id: int) -> HttpResponse:
    ticket = get_object_or_404(SupportTicket, pk=ticket_id, user=request.user)
    support.close_ticket(ticket)
    messages.success(request, _("The ticket is closed."))
    return redirect("support_ticket", ticket_id=ticket.pk)


@login_required
def support_feedback(request: AuthenticatedRequest) -> HttpResponse:
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        support.give_feedback(user=request.user, **form.cleaned_data)
        messages.success(request, _("Thank you for your feedback."))
        return redirect("support_feedback")
    return render(request, "accounts/support/feedback.html", {"form": form})
