from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from privacy import dsar
from privacy.models import ConsentNotice, ConsentRecord, DataSubjectRequest, DsarEvent


@admin.register(ConsentNotice)
class ConsentNoticeAdmin(admin.ModelAdmin):
    list_display = ("purpose", "version", "language", "published_at")
    list_filter = ("purpose", "language")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Records point at notice versions: a published version stays.
        return False


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "browser_id", "purpose", "granted", "method")
    list_filter = ("purpose", "granted", "method")
    search_fields = ("user__email", "browser_id")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DsarEventInline(admin.TabularInline):
    model = DsarEvent
    extra = 0
    fields = ("created_at", "kind", "actor", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(admin.ModelAdmin):
    """Good enough to operate; the back-office issue builds the full DSAR queue."""

    list_display = ("received_at", "email", "kind", "regime", "status", "respond_by", "assignee")
    list_filter = ("status", "regime", "kind")
    search_fields = ("email", "id")
    readonly_fields = (
        "id",
        "user",
        "email",
        "regime",
        "kind",
        "details",
        "language",
        "received_at",
        "email_verified_at",
        "identity_verified_at",
        "extended",
    )
    fields = (*readonly_fields, "status", "assignee")
    inlines = (DsarEventInline,)

    @admin.display(description=_("answer due by"))
    def respond_by(self, dsr: DataSubjectRequest) -> Any:
        return dsar.deadlines_of(dsr).respond_by

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
