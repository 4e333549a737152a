from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from billing.countries import COUNTRIES, code_for_name, country_choices
from billing.fields import AmountField
from billing.models import BillingProfile
from billing.payments import configured_providers, get_provider
from billing.payments.zpay import ZpayProvider

# ZPAY takes the payment method on its submit page: the console offers each as a choice.
ZPAY_METHODS = {"alipay": _("Alipay"), "wxpay": _("WeChat Pay")}


def payment_choices() -> list[tuple[str, Any]]:
    """The configured providers as choices; ZPAY once per method, as "zpay:<method>"."""
    choices: list[tuple[str, Any]] = []
    for provider in configured_providers():
        if isinstance(provider, ZpayProvider):
            choices += [(f"zpay:{method}", label) for method, label in ZPAY_METHODS.items()]
        else:
            choices.append((provider.name, provider.label))
    return choices


class TopUpForm(forms.Form):
    # Localised: "12,50" is twelve and a half in French, Russian and Vietnamese.
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(settings.TOPUP_MINIMUM),
        max_value=Decimal(settings.TOPUP_MAXIMUM),
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    provider = forms.ChoiceField(label=_("Pay with"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provider_field = self.fields["provider"]
        assert isinstance(provider_field, forms.ChoiceField)
        provider_field.choices = payment_choices()
        # Preselect the first choice when none, or one no longer offered, was remembered.
        values = [value for value, _label in provider_field.choices]
        if values and self.initial.get("provider") not in values:
            self.initial["provider"] = values[0]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        amount, choice = cleaned.get("amount"), cleaned.get("provider")
        if choice:
            cleaned["provider"], _colon, cleaned["method"] = choice.partition(":")
        if amount is not None and choice:
            try:
                get_provider(cleaned["provider"]).quote(amount)
            except ValueError as error:
                self.add_error("amount", str(error))
        return cleaned


class RedeemForm(forms.Form):
    code = forms.CharField(label=_("Redemption code"), max_length=32)


def blank_and_countries() -> list[tuple[str, str]]:
    return [("", "---------"), *country_choices()]


class BillingProfileForm(forms.ModelForm):
    country = forms.ChoiceField(label=_("Country"), required=False, choices=blank_and_countries)
    low_balance_threshold = AmountField(
        label=_("Email me when my balance falls below"),
        help_text=_("Leave empty for no alert."),
    )

    class Meta:
        model = BillingProfile
        fields = ("name", "address", "country", "tax_id")
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"tax_id": _("Optional: your VAT or GST number, printed on invoices.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Profiles saved before the country list hold a name: preselect its code if known.
        stored = self.instance.country
        if stored and stored.upper() not in COUNTRIES:
            self.initial["country"] = code_for_name(stored)
