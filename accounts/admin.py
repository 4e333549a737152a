from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join, linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import support
from accounts.models import ApiToken, Feedback, Preferences, SupportTicket, User
from privacy import audit, minors
from privacy.audited_admin import AuditedAdmin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only workflows write (ledgers, logs, evidence): staff look, never edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    ordering = ("-date_joined",)
    # No username column: it is usually the email's local part, which the mask hides.
    list_display = ("email", "is_active", "is_staff", "date_joined", "closed_at")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups")
    search_fields = ("email", "username", "display_name")
    readonly_fields = ("date_joined", "last_login", "adult_confirmed_at", "closed_at")
    fieldsets = (
        (None, {"fields": ("email", "username", "password")}),
        (_("Profile"), {"fields": ("display_name", "avatar", "bio")}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "processing_restricted",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Dates"), {"fields": ("date_joined", "last_login", "adult_confirmed_at", "closed_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "username", "password1", "password2")}),
    )
    change_form_template = "admin/accounts/user/change_form.html"
    actions = ("suspect_minor",)

    @admin.action(
        description=_("Suspected minor: suspend now, erase after confirmation"),
        permissions=("flag_minor",),
    )
    def suspect_minor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        suspended = 0
        for user in queryset.filter(is_active=True, is_staff=False):
            minors.suspect_minor(user, actor=request.user)  # type: ignore[arg-type]
            suspended += 1
        message = ngettext(
            "%(count)d account suspended; a Privacy Officer decides on its erasure.",
            "%(count)d accounts suspended; a Privacy Officer decides on their erasure.",
            suspended,
        )
        self.message_user(request, message % {"count": suspended}, messages.WARNING)

    def has_flag_minor_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("privacy.add_minorcase")

    def get_urls(self) -> list[Any]:
        access_log = self.admin_site.admin_view(self.access_log_view)
        return [
            path("<path:object_id>/access-log/", access_log, name="accounts_user_access_log"),
            *super().get_urls(),
        ]

    def access_log_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Who touched this person's data, when and why."""
        if not request.user.has_perm("privacy.view_accessevent"):
            raise PermissionDenied
        subject = get_object_or_404(User, pk=object_id)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Access log"),
            "subject": subject,
            "events": audit.events_about(subject)[:500],
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/accounts/user/access_log.html", context)


@admin.register(Preferences)
class PreferencesAdmin(AuditedAdmin):
    list_display = ("user", "language", "time_zone", "product_updates")
    list_filter = ("language", "product_updates")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    """Staff can see and disable any key, never its secret (which is not stored anyway)."""

    list_display = ("name", "masked_key", "user", "enabled", "expires_at", "last_used_at")
    list_filter = ("enabled",)
    search_fields = ("name", "user__email", "lookup_prefix")
    list_select_related = ("user",)
    fields = (
        "user",
        "name",
        "masked_key",
        "enabled",
        "expires_at",
        "allowed_models",
        "allowed_ips",
        "spending_limit",
        "rpm_limit",
        "tpm_limit",
        "created_at",
        "last_used_at",
    )
    readonly_fields = tuple(field for field in fields if field != "enabled")
    actions = ("disable_keys",)

    @admin.display(description=_("key"))
    def masked_key(self, token: ApiToken) -> str:
        return token.masked_key

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Keys are issued to their owners in the console or with `create_api_token`.
        return False

    @admin.action(description=_("Disable selected API keys"), permissions=("change",))
    def disable_keys(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.update(enabled=False)
        message = ngettext("%(count)d API key disabled.", "%(count)d API keys disabled.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)


class TicketReplyForm(forms.ModelForm):
    reply = forms.CharField(
        label=_("Reply to the user"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Emailed to the user in their language; the ticket becomes answered."),
    )

    class Meta:
        model = SupportTicket
        fields = ("status",)


@admin.register(SupportTicket)
class SupportTicketAdmin(AuditedAdmin):
    """Support reads the thread and answers on the ticket's page."""

    form = TicketReplyForm
    list_display = ("id", "subject", "user", "category", "status", "updated_at")
    list_filter = ("status", "category")
    search_fields = ("subject", "user__email")
    list_select_related = ("user",)
    fields = ("user", "subject", "category", "created_at", "updated_at", "thread", "status")
    readonly_fields = ("user", "subject", "category", "created_at", "updated_at", "thread")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Users open tickets in the console.
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The reply box is for those who may answer; the others only read the thread.
        if self.has_change_permission(request, obj):
            return (*self.fields, "reply")
        return self.fields

    @admin.display(description=_("conversation"))
    def thread(self, ticket: SupportTicket) -> str:
        return format_html_join(
            "",
            "<div><p><strong>{}</strong> · {}</p>{}</div><hr>",
            (
                (
                    _("Support") if message.is_staff_reply else _("User"),
                    date_format(timezone.localtime(message.created_at), "SHORT_DATETIME_FORMAT"),
                    # linebreaks() escapes the body itself before adding its tags.
                    mark_safe(linebreaks(message.body, autoescape=True)),  # noqa: S308
                )
                for message in ticket.messages.all()
            ),
        ) or format_html("{}", self.get_empty_value_display())

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("reply"):
            support.add_staff_reply(obj, author=request.user, body=form.cleaned_data["reply"])  # type: ignore[arg-type]
            # Answering sets the status; a reply sent while closing leaves the ticket closed.
            if form.cleaned_data["status"] == SupportTicket.Status.CLOSED:
                support.close_ticket(obj)


@admin.register(Feedback)
class FeedbackAdmin(AuditedAdmin, ReadOnlyAdmin):
    list_display = ("created_at", "user", "rating", "message")
    list_filter = ("rating",)
    search_fields = ("message",)
    list_select_related = ("user",)
