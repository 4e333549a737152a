from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    ApiToken,
    Feedback,
    Preferences,
    SupportTicket,
    TicketMessage,
    User,
    validate_future_expiry,
)
from billing.fields import AmountField
from gateway.regions import RegionsField


class SignupForm(forms.Form):
    """Extra signup fields, used by allauth for email and social signups alike."""

    # allauth orders its signup forms by this; the age confirmation comes last.
    field_order = ("email", "username", "password1", "password2", "adult")

    adult = forms.BooleanField(
        label=_("I confirm that I am 18 years of age or older."),
        error_messages={"required": _("You must be 18 or older to use Tokengate.")},
    )

    def signup(self, request: HttpRequest, user: User) -> None:
        user.adult_confirmed_at = timezone.now()
        user.save(update_fields=["adult_confirmed_at"])
        Preferences.objects.update_or_create(
            user=user, defaults={"language": getattr(request, "LANGUAGE_CODE", "en")}
        )


class ListField(forms.Field):
    """A list of short strings typed one per line or separated by commas."""

    widget = forms.Textarea(attrs={"rows": 2})

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        text = str(value or "")
        return [item.strip() for item in text.replace("\n", ",").split(",") if item.strip()]


class ApiTokenForm(forms.ModelForm):
    allowed_models = ListField(
        label=_("Allowed models"), required=False, help_text=_("Empty means every model.")
    )
    allowed_ips = ListField(
        label=_("Allowed IP addresses"),
        required=False,
        help_text=_("IP addresses or CIDR ranges. Empty means any address."),
    )

    spending_limit = AmountField(
        label=_("Spending limit"),
        help_text=_("The most this key may spend in total. Empty means no limit."),
    )

    class Meta:
        model = ApiToken
        fields = (
            "name",
            "expires_at",
            "allowed_models",
            "allowed_ips",
            "spending_limit",
            "rpm_limit",
            "tpm_limit",
        )
        widgets = {"expires_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    def clean_expires_at(self) -> Any:
        expires_at = self.cleaned_data["expires_at"]
        if self.has_changed():
            validate_future_expiry(expires_at)
        return expires_at


class PreferencesForm(forms.ModelForm):
    """Profile and preferences: the display name lives on the user, the rest on Preferences."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=80,
        required=False,
        help_text=_("How the console greets you. Leave empty to use your username."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[(zone, zone) for zone in sorted(zoneinfo.available_timezones())],
    )
    field_order = ("display_name",)

    class Meta:
        model = Preferences
        fields = (
            "language",
            "time_zone",
            "default_model",
            "product_updates",
            "content_logging",
            "allowed_regions",
        )
        field_classes = {"allowed_regions": RegionsField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["display_name"].initial = self.instance.user.display_name

    def save(self, commit: bool = True) -> Preferences:
        user = self.instance.user
        user.display_name = self.cleaned_data["display_name"]
        user.save(update_fields=["display_name"])
        return super().save(commit=commit)


class CloseAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that closing my account is permanent and revokes all my API keys."),
        error_messages={"required": _("Tick the box to confirm.")},
    )


class TicketForm(forms.ModelForm):
    body = forms.CharField(
        label=_("How can we help?"),
        max_length=TicketMessage._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    class Meta:
        model = SupportTicket
        fields = ("subject", "category")


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=TicketMessage._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class FeedbackForm(forms.ModelForm):
    class Meta:
        model = Feedback
        fields = ("message", "rating")
        labels = {"message": _("Your feedback"), "rating": _("Rating (1 poor, 5 excellent)")}
        widgets = {"message": forms.Textarea(attrs={"rows": 4})}
