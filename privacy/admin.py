from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin
from privacy import dsar, erasure
from privacy.audited_admin import AuditedAdmin
from privacy.models import (
    AccessEvent,
    ConsentNotice,
    ConsentRecord,
    DataSubjectRequest,
    DsarEvent,
    ErasurePlan,
    LegalHold,
    RetentionPolicy,
    RetentionRun,
)
from privacy.tasks import execute_erasure as execute_erasure_task


@admin.register(ConsentNotice)
class ConsentNoticeAdmin(admin.ModelAdmin):
    list_display = ("purpose", "version", "language", "published_at")
    list_filter = ("purpose", "language")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Records point at notice versions: a published version stays.
        return False


@admin.register(ConsentRecord)
class ConsentRecordAdmin(AuditedAdmin, ReadOnlyAdmin):
    list_display = ("created_at", "user", "browser_id", "purpose", "granted", "method")
    list_filter = ("purpose", "granted", "method")
    search_fields = ("user__email", "browser_id")
    date_hierarchy = "created_at"


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
class DataSubjectRequestAdmin(AuditedAdmin):
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
    actions = ("restrict", "lift_restriction", "apply_objection")

    def save_model(
        self, request: HttpRequest, obj: DataSubjectRequest, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        dsar.record_staff_changes(obj, actor=request.user, changed=form.changed_data)  # type: ignore[arg-type]

    @admin.action(
        description=_("Restrict processing for the selected requests"), permissions=("change",)
    )
    def restrict(self, request: HttpRequest, queryset: QuerySet[DataSubjectRequest]) -> None:
        for item in queryset.exclude(user=None):
            dsar.restrict_processing(item, actor=request.user)  # type: ignore[arg-type]

    @admin.action(
        description=_("Lift the restriction for the selected requests"), permissions=("change",)
    )
    def lift_restriction(
        self, request: HttpRequest, queryset: QuerySet[DataSubjectRequest]
    ) -> None:
        for item in queryset.exclude(user=None):
            dsar.restrict_processing(item, actor=request.user, lift=True)  # type: ignore[arg-type]

    @admin.action(
        description=_("Stop marketing and analytics (objection)"), permissions=("change",)
    )
    def apply_objection(self, request: HttpRequest, queryset: QuerySet[DataSubjectRequest]) -> None:
        for item in queryset.exclude(user=None):
            dsar.apply_objection(item, actor=request.user)  # type: ignore[arg-type]

    @admin.display(description=_("answer due by"))
    def respond_by(self, dsr: DataSubjectRequest) -> Any:
        return dsar.deadlines_of(dsr).respond_by

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ErasurePlan)
class ErasurePlanAdmin(AuditedAdmin):
    list_display = ("created_at", "user", "status", "planned_by", "approved_by", "executed_at")
    list_filter = ("status",)
    readonly_fields = (
        "request",
        "user",
        "status",
        "plan",
        "receipt",
        "planned_by",
        "approved_by",
        "created_at",
        "approved_at",
        "executed_at",
    )
    actions = ("approve", "execute")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Approve selected erasures"), permissions=("change",))
    def approve(self, request: HttpRequest, queryset: QuerySet[ErasurePlan]) -> None:
        for plan in queryset:
            try:
                erasure.approve_erasure(plan, approver=request.user)  # type: ignore[arg-type]
            except erasure.ErasureRefused as refused:
                self.message_user(request, str(refused), messages.ERROR)

    @admin.action(description=_("Run selected approved erasures"), permissions=("change",))
    def execute(self, request: HttpRequest, queryset: QuerySet[ErasurePlan]) -> None:
        for plan in queryset.filter(status=ErasurePlan.Status.APPROVED):
            execute_erasure_task.delay(plan.pk)
        self.message_user(request, _("The erasures were queued."), messages.SUCCESS)


@admin.register(LegalHold)
class LegalHoldAdmin(AuditedAdmin):
    list_display = ("user", "created_at", "released_at", "created_by")
    fields = ("user", "reason", "released_at")
    raw_id_fields = ("user",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: LegalHold, form: Any, change: bool) -> None:
        if not change:
            obj.created_by_id = request.user.pk
        super().save_model(request, obj, form, change)


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ("description", "days")
    fields = ("description", "days")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RetentionRun)
class RetentionRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "finished_at", "counts")


@admin.register(AccessEvent)
class AccessEventAdmin(AuditedAdmin, ReadOnlyAdmin):
    """The access log: nobody, not even a superuser, edits or deletes it."""

    list_display = ("created_at", "staff", "action", "model", "object_ids", "fields", "reason")
    list_filter = ("action", "model")
    search_fields = ("staff__email", "reason", "detail")
    list_select_related = ("staff",)
    date_hierarchy = "created_at"
