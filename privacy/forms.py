from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from privacy.models import DataSubjectRequest


class RequestForm(forms.Form):
    regime = forms.ChoiceField(
        label=_("Privacy law that applies to you"), choices=DataSubjectRequest.Regime.choices
    )
    kind = forms.ChoiceField(label=_("I want to"), choices=DataSubjectRequest.Kind.choices)
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Anything that helps us act on your request, such as what to correct."),
    )


class PublicRequestForm(RequestForm):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("We send a link to confirm that this address is yours."),
    )
    field_order = ("email", "regime", "kind", "details")
