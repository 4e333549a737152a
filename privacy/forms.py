from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from privacy.consent import CENTRE_PURPOSES
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


class ExportForm(forms.Form):
    regime = RequestForm.base_fields["regime"]


class ConsentChoiceForm(forms.Form):
    """One click in the privacy centre: grant or withdraw one purpose."""

    purpose = forms.ChoiceField(choices=[(purpose, purpose.label) for purpose in CENTRE_PURPOSES])
    granted = forms.BooleanField(required=False)


class PublicRequestForm(RequestForm):
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("We send a link to confirm that this address is yours."),
    )
    field_order = ("email", "regime", "kind", "details")


class ConfirmForm(forms.Form):
    """A step that needs nothing but the click."""


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea)


class EvidenceForm(forms.Form):
    evidence = forms.CharField(
        label=_("How was the identity verified?"),
        max_length=2000,
        widget=forms.Textarea,
        help_text=_("Describe what you checked; never attach copies of identity documents."),
    )


class MessageForm(forms.Form):
    message = forms.CharField(
        label=_("What do you need from the requester?"), max_length=2000, widget=forms.Textarea
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        # Requests are worked by Privacy Officers (superusers may step in).
        queryset=User.objects.filter(Q(groups__name="Privacy Officer") | Q(is_superuser=True))
        .filter(is_active=True)
        .distinct()
        .order_by("email"),
        required=False,
    )


class RectifyForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email address"))


class GuardianReportForm(forms.Form):
    child_email = forms.EmailField(
        label=_("The email address of the child's account"),
        help_text=_("The address the child signed up with, if you know it."),
    )
    guardian_name = forms.CharField(label=_("Your name"), max_length=200)
    guardian_email = forms.EmailField(
        label=_("Your email address"), help_text=_("We write to you about what we did.")
    )
    details = forms.CharField(
        label=_("What should we know?"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
