from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from billing.models import BillingProfile
from billing.money import InvalidAmount, to_nanos
from billing.payments import configured_providers, get_provider


class TopUpForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(settings.TOPUP_MINIMUM),
        max_value=Decimal(settings.TOPUP_MAXIMUM),
    )
    provider = forms.ChoiceField(label=_("Pay with"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        providers = configured_providers()
        provider_field = self.fields["provider"]
        assert isinstance(provider_field, forms.ChoiceField)
        provider_field.choices = [(p.name, p.label) for p in providers]
        if providers and not self.initial.get("provider"):
            self.initial["provider"] = providers[0].name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        amount, provider = cleaned.get("amount"), cleaned.get("provider")
        if amount is not None and provider:
            try:
                get_provider(provider).quote(amount)
            except ValueError as error:
                self.add_error("amount", str(error))
        return cleaned


class RedeemForm(forms.Form):
    code = forms.CharField(label=_("Redemption code"), max_length=32)


class BillingProfileForm(forms.ModelForm):
    low_balance_threshold = forms.DecimalField(
        label=_("Email me when my balance falls below"),
        required=False,
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=2,
        help_text=_("Leave empty for no alert."),
    )

    class Meta:
        model = BillingProfile
        fields = ("name", "address", "country", "tax_id")
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def clean_low_balance_threshold(self) -> int | None:
        value = self.cleaned_data["low_balance_threshold"]
        try:
            return None if value is None else to_nanos(value)
        except InvalidAmount as error:
            raise forms.ValidationError(_("Enter an amount such as 5.00.")) from error
