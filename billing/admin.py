from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import ReadOnlyAdmin
from billing import ledger, prices
from billing.models import (
    BillingProfile,
    Hold,
    Invoice,
    LedgerEntry,
    Plan,
    Price,
    PriceProposal,
    RedemptionCode,
    TopUpOrder,
    Wallet,
)
from billing.money import InvalidAmount, format_amount, to_nanos
from gateway.regions import RegionsField
from privacy.audited_admin import AuditedAdmin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def amount_column(field: str, description: StrOrPromise) -> Any:
    @admin.display(description=description, ordering=field)
    def column(self: Any, obj: Any) -> str:
        value = getattr(obj, field)
        return "" if value is None else format_amount(value)

    return column


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = ("name", "multiplier", "allowed_regions")
        field_classes = {"allowed_regions": RegionsField}


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    form = PlanForm
    list_display = ("name", "multiplier", "allowed_regions")


class PriceForm(forms.ModelForm):
    """Prices are typed in the platform currency per million tokens, stored in nano-units."""

    input_per_million = forms.CharField(label=_("Input price per million tokens"))
    cached_input_per_million = forms.CharField(
        label=_("Cached input price per million tokens"),
        required=False,
        help_text=_("Empty means the input price."),
    )
    output_per_million = forms.CharField(label=_("Output price per million tokens"))
    request_fee = forms.CharField(label=_("Fee per request"), initial="0")

    class Meta:
        model = Price
        fields = (
            "model",
            "input_per_million",
            "cached_input_per_million",
            "output_per_million",
            "request_fee",
            "effective_from",
        )

    def clean_input_per_million(self) -> int | None:
        return self.parse("input_per_million")

    def clean_cached_input_per_million(self) -> int | None:
        return self.parse("cached_input_per_million")

    def clean_output_per_million(self) -> int | None:
        return self.parse("output_per_million")

    def clean_request_fee(self) -> int | None:
        return self.parse("request_fee")

    def parse(self, name: str) -> int | None:
        value = self.cleaned_data.get(name)
        if value in (None, ""):
            return None
        try:
            nanos = to_nanos(str(value))
        except InvalidAmount as error:
            raise forms.ValidationError(_("Enter an amount such as 0.27.")) from error
        if nanos < 0:
            raise forms.ValidationError(_("Enter an amount of zero or more."))
        return nanos


@admin.register(Price)
class PriceAdmin(AuditedAdmin):
    """A price change is a new version; versions in force are never edited (history)."""

    form = PriceForm
    list_display = (
        "model",
        "input_price",
        "cached_input_price",
        "output_price",
        "fee",
        "effective_from",
        "created_by",
    )
    list_filter = ("model",)
    search_fields = ("model",)
    date_hierarchy = "effective_from"
    input_price = amount_column("input_per_million", _("input / 1M tokens"))
    cached_input_price = amount_column("cached_input_per_million", _("cached input / 1M tokens"))
    output_price = amount_column("output_per_million", _("output / 1M tokens"))
    fee = amount_column("request_fee", _("fee per request"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Price, form: Any, change: bool) -> None:
        obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


class PriceProposalForm(PriceForm):
    class Meta:
        model = PriceProposal
        fields = (*PriceForm.Meta.fields, "note")


@admin.register(PriceProposal)
class PriceProposalAdmin(AuditedAdmin):
    """Operators propose a price; someone in Billing approves it into a price, or rejects it."""

    form = PriceProposalForm
    list_display = (
        "model",
        "input_price",
        "output_price",
        "effective_from",
        "status",
        "proposed_by",
        "decided_by",
    )
    list_filter = ("status", "model")
    actions = ("approve", "reject")
    input_price = amount_column("input_per_million", _("input / 1M tokens"))
    output_price = amount_column("output_per_million", _("output / 1M tokens"))

    def save_model(self, request: HttpRequest, obj: PriceProposal, form: Any, change: bool) -> None:
        obj.proposed_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    @admin.action(
        description=_("Approve the selected proposals as prices"), permissions=("change",)
    )
    def approve(self, request: HttpRequest, queryset: QuerySet[PriceProposal]) -> None:
        self.decide_each(request, queryset, prices.approve_proposal)

    @admin.action(description=_("Reject the selected proposals"), permissions=("change",))
    def reject(self, request: HttpRequest, queryset: QuerySet[PriceProposal]) -> None:
        self.decide_each(request, queryset, prices.reject_proposal)

    def decide_each(
        self, request: HttpRequest, queryset: QuerySet[PriceProposal], step: Any
    ) -> None:
        for proposal in queryset:
            try:
                step(proposal, actor=request.user)
            except prices.ProposalRefused as refused:
                self.message_user(request, f"{proposal.model}: {refused}", messages.ERROR)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A proposal is decided, not edited; the change permission is the right to decide.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AdjustmentForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=18,
        decimal_places=9,
        help_text=_("Positive to credit, negative to debit."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)
    # Makes a double-submitted form post one adjustment, not two.
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


@admin.register(Wallet)
class WalletAdmin(AuditedAdmin):
    """Balances change only through the ledger (the adjust view); staff may change the plan."""

    list_display = ("user", "balance_shown", "held_shown", "plan", "low_balance_threshold_shown")
    list_filter = ("plan",)
    list_select_related = ("user", "plan")
    search_fields = ("user__email",)
    fields = ("user", "balance_shown", "held_shown", "plan", "low_balance_threshold_shown")
    readonly_fields = ("user", "balance_shown", "held_shown", "low_balance_threshold_shown")
    balance_shown = amount_column("balance", _("balance"))
    held_shown = amount_column("held", _("held"))
    low_balance_threshold_shown = amount_column("low_balance_threshold", _("low balance alert"))
    change_form_template = "admin/billing/wallet/change_form.html"

    def get_urls(self) -> list[Any]:
        adjust = self.admin_site.admin_view(self.adjust_view)
        return [
            path("<path:object_id>/adjust/", adjust, name="billing_wallet_adjust"),
            *super().get_urls(),
        ]

    def adjust_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not request.user.has_perm("billing.adjust_balance"):
            raise PermissionDenied
        wallet = get_object_or_404(Wallet, pk=object_id)
        form = AdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                ledger.adjust_balance(
                    user_id=wallet.pk,
                    amount=to_nanos(form.cleaned_data["amount"]),
                    reason=form.cleaned_data["reason"],
                    actor_id=request.user.pk,
                    idempotency_key=str(form.cleaned_data["idempotency_key"]),
                )
            except ledger.InsufficientBalance:
                form.add_error("amount", _("The balance cannot go below zero."))
            else:
                self.message_user(request, _("The balance was adjusted."), messages.SUCCESS)
                return redirect(reverse("admin:billing_wallet_change", args=[wallet.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Adjust balance"),
            "wallet": wallet,
            "balance": format_amount(wallet.balance),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/wallet/adjust.html", context)

    def save_model(self, request: HttpRequest, obj: Wallet, form: Any, change: bool) -> None:
        # Only the plan is edited here: saving every field would write back the balance as it
        # was loaded, undoing any charge committed meanwhile.
        obj.save(update_fields=["plan"])

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(AuditedAdmin, ReadOnlyAdmin):
    list_display = ("created_at", "wallet", "kind", "amount_shown", "balance_after_shown", "actor")
    list_filter = ("kind",)
    search_fields = ("wallet__user__email", "idempotency_key", "request_id")
    list_select_related = ("wallet__user", "actor")
    date_hierarchy = "created_at"
    amount_shown = amount_column("amount", _("amount"))
    balance_after_shown = amount_column("balance_after", _("balance after"))


@admin.register(Hold)
class HoldAdmin(AuditedAdmin, ReadOnlyAdmin):
    list_display = ("request_id", "wallet", "amount_shown", "status", "created_at", "expires_at")
    list_filter = ("status",)
    search_fields = ("request_id", "wallet__user__email")
    amount_shown = amount_column("amount", _("amount"))


@admin.register(TopUpOrder)
class TopUpOrderAdmin(AuditedAdmin, ReadOnlyAdmin):
    list_display = (
        "created_at",
        "user",
        "provider",
        "status",
        "credit_shown",
        "charged_amount",
        "currency",
        "livemode",
    )
    list_filter = ("status", "provider", "livemode")
    search_fields = ("id", "user__email", "provider_reference")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    actions = ("refund_orders",)
    credit_shown = amount_column("credit_amount", _("credit"))

    @admin.action(description=_("Refund selected paid orders"), permissions=("refund",))
    def refund_orders(self, request: HttpRequest, queryset: QuerySet[TopUpOrder]) -> None:
        refunded = 0
        for order in queryset.filter(status=TopUpOrder.Status.PAID):
            ledger.refund_order(order_id=str(order.pk), actor_id=request.user.pk, reason="admin")
            refunded += 1
        message = ngettext(
            "%(count)d order refunded in the ledger. Refund the payment in the provider's "
            "dashboard too.",
            "%(count)d orders refunded in the ledger. Refund the payments in the provider's "
            "dashboard too.",
            refunded,
        )
        self.message_user(request, message % {"count": refunded}, messages.SUCCESS)

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.adjust_balance")


class RedemptionBatchForm(forms.Form):
    batch = forms.SlugField(label=_("Batch name"), max_length=64)
    count = forms.IntegerField(label=_("Number of codes"), min_value=1, max_value=1000)
    amount = forms.DecimalField(label=_("Amount per code"), max_digits=18, decimal_places=9)
    expires_at = forms.DateTimeField(label=_("Expires at"), required=False)


@admin.register(RedemptionCode)
class RedemptionCodeAdmin(AuditedAdmin):
    list_display = ("code", "batch", "amount_shown", "expires_at", "redeemed_by", "redeemed_at")
    list_filter = ("batch",)
    search_fields = ("code", "batch", "redeemed_by__email")
    amount_shown = amount_column("amount", _("amount"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        """Adding codes means generating a batch of them."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RedemptionBatchForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            amount = to_nanos(data["amount"])
            RedemptionCode.objects.bulk_create(
                RedemptionCode(
                    code=secrets.token_hex(8).upper(),
                    amount=amount,
                    batch=data["batch"],
                    expires_at=data["expires_at"],
                    created_by_id=request.user.pk,
                )
                for _ in range(data["count"])
            )
            self.message_user(request, _("The codes were generated."), messages.SUCCESS)
            changelist = reverse("admin:billing_redemptioncode_changelist")
            return redirect(f"{changelist}?batch={data['batch']}")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Generate redemption codes"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/redemptioncode/generate.html", context)


@admin.register(Invoice)
class InvoiceAdmin(AuditedAdmin, ReadOnlyAdmin):
    list_display = ("number", "order", "issued_at")
    search_fields = ("number", "order__user__email")


@admin.register(BillingProfile)
class BillingProfileAdmin(AuditedAdmin):
    list_display = ("user", "name", "country")
    search_fields = ("user__email", "name")
    raw_id_fields = ("user",)
