from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin
from billing.money import format_amount
from gateway.models import Channel, UsageLog
from privacy.audited_admin import AuditedAdmin


class ChannelForm(forms.ModelForm):
    # Write-only: the stored key is never sent back to the browser.
    api_key = forms.CharField(
        label=_("API key"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current key."),
    )

    class Meta:
        model = Channel
        fields = (
            "name",
            "provider",
            "base_url",
            "api_key",
            "served_models",
            "model_mapping",
            "context_windows",
            "priority",
            "weight",
            "enabled",
            "connect_timeout",
            "read_timeout",
            "plan",
            "region",
        )

    def clean_api_key(self) -> str:
        entered = self.cleaned_data["api_key"]
        return entered or (self.instance.api_key if self.instance.pk else "")


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ("name", "provider", "region", "priority", "weight", "enabled", "models_served")
    list_filter = ("provider", "region", "enabled")
    search_fields = ("name",)
    actions = ("enable_channels", "disable_channels")

    @admin.display(description=_("models"))
    def models_served(self, channel: Channel) -> str:
        return ", ".join(channel.served_models)

    @admin.action(description=_("Enable selected channels"), permissions=("change",))
    def enable_channels(self, request: HttpRequest, queryset: Any) -> None:
        queryset.update(enabled=True)

    @admin.action(description=_("Disable selected channels"), permissions=("change",))
    def disable_channels(self, request: HttpRequest, queryset: Any) -> None:
        queryset.update(enabled=False)


@admin.register(UsageLog)
class UsageLogAdmin(AuditedAdmin, ReadOnlyAdmin):
    list_display = (
        "created_at",
        "user",
        "model",
        "channel",
        "status_code",
        "input_tokens",
        "output_tokens",
        "cost_shown",
        "latency_ms",
    )
    list_filter = ("status_code", "endpoint", "stream", "model")
    search_fields = ("request_id", "user__email", "model")
    list_select_related = ("user", "channel")
    date_hierarchy = "created_at"

    @admin.display(description=_("cost"), ordering="cost")
    def cost_shown(self, log: UsageLog) -> str:
        return format_amount(log.cost)
