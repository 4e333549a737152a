from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken, User
from gateway.models import UsageLog


class UsageFilterForm(forms.Form):
    """Filters of the usage page and its CSV download; days are in the user's time zone."""

    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    model = forms.ChoiceField(label=_("Model"), required=False)
    api_token = forms.ModelChoiceField(
        label=_("API key"), required=False, queryset=ApiToken.objects.none()
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        models = UsageLog.objects.filter(user=user).values_list("model", flat=True).distinct()
        model_field: Any = self.fields["model"]
        model_field.choices = [("", _("All models"))] + [(name, name) for name in sorted(models)]
        token_field: Any = self.fields["api_token"]
        token_field.queryset = ApiToken.objects.filter(user=user).order_by("name")
        token_field.empty_label = _("All keys")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return cleaned
