from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from billing import ledger
from billing.forms import BillingProfileForm, RedeemForm, TopUpForm
from billing.history import daily_activity, payments_csv
from billing.models import BillingProfile, Invoice, LedgerEntry, TopUpOrder, Wallet
from billing.money import format_amount, to_decimal
from billing.payments import ProviderError
from billing.topups import charge_terms, start_topup


@login_required
def overview(request: AuthenticatedRequest) -> HttpResponse:
    wallet = Wallet.objects.for_user(request.user.pk)
    initial = {"amount": wallet.last_topup_amount, "provider": wallet.last_topup_provider}
    return render_overview(request, wallet, TopUpForm(initial=initial), RedeemForm())


def render_overview(
    request: AuthenticatedRequest, wallet: Wallet, topup_form: TopUpForm, redeem_form: RedeemForm
) -> HttpResponse:
    orders = TopUpOrder.objects.filter(user=request.user).select_related("invoice")
    activity = Paginator(daily_activity(user_id=request.user.pk), 15).get_page(
        request.GET.get("page")
    )
    days = [{**row, "kind_label": LedgerEntry.Kind(row["kind"]).label} for row in activity]
    context = {
        "wallet": wallet,
        "currency": settings.PLATFORM_CURRENCY,
        "presets": settings.TOPUP_PRESETS,
        "charge_terms": charge_terms(),
        "topup_form": topup_form,
        "redeem_form": redeem_form,
        "orders": orders[:5],
        "activity": activity,
        "days": days,
    }
    return render(request, "billing/overview.html", context)


def checkout_redirect(request: AuthenticatedRequest, checkout_url: str) -> HttpResponse:
    """Send the browser on to the provider's checkout page.

    Not a 302: the console's CSP allows forms to submit to this site only (`form-action
    'self'`), and browsers apply that to the redirects that follow a form, so a redirect to
    the provider would be blocked. A page that moves on by itself starts a new navigation.
    """
    response = render(request, "billing/checkout_redirect.html", {"checkout_url": checkout_url})
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def topup(request: AuthenticatedRequest) -> HttpResponse:
    data = request.POST.copy()
    # The suggested amounts are submit buttons named "preset".
    preset = request.POST.get("preset")
    if preset:
        data["amount"] = preset
    form = TopUpForm(data)
    if form.is_valid():
        try:
            checkout_url = start_topup(
                user=request.user,
                amount=form.cleaned_data["amount"],
                provider_name=form.cleaned_data["provider"],
                method=form.cleaned_data["method"],
                url_for=lambda order: request.build_absolute_uri(
                    reverse("billing_order", args=[order.pk])
                ),
            )
        except ProviderError:
            messages.error(request, _("The payment provider is unavailable. Try again later."))
        else:
            return checkout_redirect(request, checkout_url)
    wallet = Wallet.objects.for_user(request.user.pk)
    return render_overview(request, wallet, form, RedeemForm())


@login_required
@require_POST
def redeem(request: AuthenticatedRequest) -> HttpResponse:
    form = RedeemForm(request.POST)
    if form.is_valid():
        try:
            entry = ledger.redeem_code(user_id=request.user.pk, code=form.cleaned_data["code"])
        except ledger.CodeNotRedeemable:
            form.add_error("code", _("This code is not valid, already used or expired."))
        else:
            amount = format_amount(entry.amount)
            messages.success(
                request,
                _("%(amount)s %(currency)s was added to your balance.")
                % {"amount": amount, "currency": settings.PLATFORM_CURRENCY},
            )
            return redirect("billing")
    wallet = Wallet.objects.for_user(request.user.pk)
    return render_overview(request, wallet, TopUpForm(), form)


@login_required
def orders(request: AuthenticatedRequest) -> HttpResponse:
    orders = TopUpOrder.objects.filter(user=request.user).select_related("invoice")
    if request.GET.get("format") == "csv":
        response = HttpResponse(payments_csv(orders), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="tokengate-payments.csv"'
        return response
    page = Paginator(orders, 20).get_page(request.GET.get("page"))
    return render(request, "billing/orders.html", {"orders": page})


@login_required
def order_status(request: AuthenticatedRequest, order_id: str) -> HttpResponse:
    """Where the provider sends the browser back. It shows the status and never credits."""
    order = get_object_or_404(TopUpOrder, pk=order_id, user=request.user)
    context = {"order": order, "credit": to_decimal(order.credit_amount)}
    return render(request, "billing/order.html", context)


@login_required
def invoice(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """The invoice in the console; `?print=1` alone on a page, `?download=1` as a file."""
    invoice = get_object_or_404(
        Invoice.objects.select_related("order"), number=number, order__user=request.user
    )
    context = {
        "invoice": invoice,
        "order": invoice.order,
        "credit": format_amount(invoice.order.credit_amount),
        "platform_currency": settings.PLATFORM_CURRENCY,
    }
    download = bool(request.GET.get("download"))
    if not (download or request.GET.get("print")):
        return render(request, "billing/invoice.html", context)
    response = render(request, "billing/invoice_print.html", context)
    if download:
        filename = f"tokengate-invoice-{invoice.number}.html"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def billing_profile(request: AuthenticatedRequest) -> HttpResponse:
    profile, _created = BillingProfile.objects.get_or_create(user=request.user)
    wallet = Wallet.objects.for_user(request.user.pk)
    initial = {"low_balance_threshold": wallet.low_balance_threshold}
    form = BillingProfileForm(request.POST or None, instance=profile, initial=initial)
    if request.method == "POST" and form.is_valid():
        form.save()
        Wallet.objects.filter(pk=wallet.pk).update(
            low_balance_threshold=form.cleaned_data["low_balance_threshold"],
            low_balance_alerted=False,
        )
        messages.success(request, _("Your billing details were saved."))
        return redirect("billing")
    return render(request, "billing/profile.html", {"form": form})
