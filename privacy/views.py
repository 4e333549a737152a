from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from privacy import cookies, dsar, minors, policies
from privacy.consent import (
    BROWSER_COOKIE,
    current_choices,
    read_unsubscribe_token,
    record_consent,
    set_privacy_cookie,
)
from privacy.forms import (
    ConsentChoiceForm,
    ExportForm,
    GuardianReportForm,
    PublicRequestForm,
    RequestForm,
)
from privacy.models import ConsentRecord, DataExport, DataSubjectRequest, PolicyDocument, Purpose


@require_POST
def cookie_choices(request: HttpRequest) -> HttpResponse:
    """Where the cookie banner posts: accept all, reject all or the ticked purposes."""
    wanted = cookies.wanted_from_form(request.POST, gpc=cookies.honours_gpc(request))
    browser_id = cookies.record_cookie_choices(request=request, wanted=wanted)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("home")
    # The banner's script posts in the background and needs no page.
    in_background = request.headers.get("Accept") == "application/json"
    response = HttpResponse(status=204) if in_background else HttpResponseRedirect(next_url)
    set_privacy_cookie(response, BROWSER_COOKIE, browser_id)
    if not wanted[Purpose.FUNCTIONAL_COOKIES]:
        cookies.forget_functional_cookies(request, response)
    return response


def cookie_settings(request: HttpRequest) -> HttpResponse:
    """The footer's "Cookie settings": the banner's form with the current choices."""
    # The form is on the page itself; the banner would repeat it.
    return render(request, "privacy/cookie_settings.html", {"show_cookie_banner": False})


@login_required
def privacy_centre(request: AuthenticatedRequest) -> HttpResponse:
    export = dsar.latest_export(request.user)
    context = {
        "choices": current_choices(
            user_id=request.user.pk, browser_id=request.COOKIES.get(BROWSER_COOKIE, "")
        ),
        "export": export,
        "export_form": ExportForm(),
        "rows": dsar.own_requests(request.user)[:5],
    }
    return render(request, "privacy/centre.html", context)


@require_POST
@login_required
def change_consent(request: AuthenticatedRequest) -> HttpResponse:
    """The privacy centre's one-click grant or withdrawal of one purpose."""
    form = ConsentChoiceForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    purpose = Purpose(form.cleaned_data["purpose"])
    record_consent(
        purpose=purpose,
        granted=form.cleaned_data["granted"],
        method=ConsentRecord.Method.SETTINGS,
        user=request.user,
        browser_id=request.COOKIES.get(BROWSER_COOKIE, ""),
        request=request,
    )
    if form.cleaned_data["granted"]:
        message = _("You allowed %(purpose)s.")
    else:
        message = _("You withdrew your consent to %(purpose)s.")
    messages.success(request, message % {"purpose": purpose.label})
    response = redirect("privacy_centre")
    if purpose == Purpose.FUNCTIONAL_COOKIES and not form.cleaned_data["granted"]:
        cookies.forget_functional_cookies(request, response)
    return response


@require_POST
@login_required
def request_export(request: AuthenticatedRequest) -> HttpResponse:
    """Download my data: an access request the console fulfils with an export at once."""
    form = ExportForm(request.POST)
    if form.is_valid():
        dsar.submit_request(
            user=request.user,
            kind=DataSubjectRequest.Kind.PORTABILITY,
            regime=form.cleaned_data["regime"],
            details="",
            language=get_language(),
        )
        message = _("We are preparing your data. This page shows when it is ready.")
        messages.success(request, message)
    return redirect("privacy_centre")


# Mail clients post the one-click unsubscribe (RFC 8058) without a CSRF token; the signed
# token in the URL is the authorisation.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    user = read_unsubscribe_token(token)
    if user is None:
        return render(request, "privacy/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        record_consent(
            purpose=Purpose.MARKETING_EMAILS,
            granted=False,
            method=ConsentRecord.Method.UNSUBSCRIBE,
            user=user,
            request=request,
        )
        return render(request, "privacy/unsubscribe.html", {"done": True})
    return render(request, "privacy/unsubscribe.html", {"email": user.email})


@login_required
def requests(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in person's privacy requests, and a form to make one."""
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        dsar.submit_request(user=request.user, language=get_language(), **form.cleaned_data)
        messages.success(request, _("We received your request and emailed you a confirmation."))
        return redirect("privacy_requests")
    rows = dsar.own_requests(request.user)
    return render(request, "privacy/requests.html", {"form": form, "rows": rows})


def public_request(request: HttpRequest) -> HttpResponse:
    """A request from anyone, account or not; the email address is confirmed by a link."""
    form = PublicRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        dsar.submit_request(language=get_language(), **form.cleaned_data)
        return render(request, "privacy/public_request.html", {"received": True})
    return render(request, "privacy/public_request.html", {"form": form})


def confirm_request_email(request: HttpRequest, token: str) -> HttpResponse:
    dsr = dsar.confirm_email(token)
    status = 200 if dsr is not None else 400
    return render(request, "privacy/request_confirmed.html", {"dsr": dsr}, status=status)


@login_required
def download_export(request: AuthenticatedRequest, token: str) -> FileResponse:
    """Only the person the export is about, signed in, before it expires."""
    export = get_object_or_404(DataExport, token=token, user=request.user)
    if export.expires_at <= timezone.now() or not export.archive:
        raise Http404
    return FileResponse(
        export.archive.open("rb"), as_attachment=True, filename="tokengate-data-export.zip"
    )


def legal_document(request: HttpRequest, kind: str) -> HttpResponse:
    """The version in effect in the reader's language (English where there is none yet), or
    a published version by number (`?version=`), such as one announced but not yet in force."""
    version = request.GET.get("version", "")
    if version.isdigit():
        published = PolicyDocument.objects.filter(
            kind=kind, version=int(version), published_at__isnull=False
        )
        document = policies.in_language(published, get_language())
    else:
        document = policies.current(kind, get_language())
    if document is None:
        raise Http404
    assert document.effective_at is not None
    in_effect = document.effective_at <= timezone.now()
    return render(request, "privacy/legal.html", {"document": document, "in_effect": in_effect})


@require_POST
@login_required
def acknowledge_policy(request: AuthenticatedRequest) -> HttpResponse:
    """The console banner's button: the user has read about the coming change."""
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        raise Http404 from None
    kind = request.POST.get("kind", "")
    if not PolicyDocument.objects.filter(kind=kind, version=version).exists():
        raise Http404
    policies.acknowledge(request.user, kind=kind, version=version)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("home")
    return HttpResponseRedirect(next_url)


def minor_report(request: HttpRequest) -> HttpResponse:
    """A parent or guardian reports a child's account (privacy policy 8.2)."""
    form = GuardianReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        case = minors.report_by_guardian(**form.cleaned_data)
        minors.tell_privacy_officers(case)
        return render(request, "privacy/minor_report.html", {"received": True})
    return render(request, "privacy/minor_report.html", {"form": form})
