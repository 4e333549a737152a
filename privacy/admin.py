from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets as admin_widgets
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import ReadOnlyAdmin
from accounts.models import User
from privacy import analytics, audit, breaches, dsar, erasure, metrics, minors, policies
from privacy import forms as forms_
from privacy.audited_admin import AuditedAdmin
from privacy.models import (
    AccessEvent,
    BreachIncident,
    BreachNotification,
    ConsentNotice,
    ConsentRecord,
    DataSubjectRequest,
    DsarEvent,
    ErasurePlan,
    LegalHold,
    MinorCase,
    PageView,
    PolicyAcknowledgement,
    PolicyDocument,
    PolicyNotice,
    ProcessorTask,
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


@dataclass(frozen=True)
class Step:
    """One button of a request's page: its form and the dsar workflow function it runs."""

    label: Promise
    form: type[forms.Form]
    run: Callable[..., Any]
    initial: Callable[[DataSubjectRequest], dict[str, Any]] | None = None


def restrict(dsr: DataSubjectRequest, *, actor: User) -> None:
    dsr_needs_account(dsr)
    dsar.restrict_processing(dsr, actor=actor)


def lift_restriction(dsr: DataSubjectRequest, *, actor: User) -> None:
    dsr_needs_account(dsr)
    dsar.restrict_processing(dsr, actor=actor, lift=True)


def dsr_needs_account(dsr: DataSubjectRequest) -> None:
    if dsr.user is None:
        raise dsar.DsarRefused(_("Verify the requester's identity and account first."))


def rectify(dsr: DataSubjectRequest, *, actor: User, **changes: str) -> None:
    dsar.rectify(dsr, actor=actor, changes=changes)


def profile_of(dsr: DataSubjectRequest) -> dict[str, Any]:
    return {"display_name": dsr.user.display_name, "email": dsr.user.email} if dsr.user else {}


STEPS = {
    "acknowledge": Step(_("Acknowledge"), forms_.ConfirmForm, dsar.acknowledge),
    "verify": Step(_("Verify identity"), forms_.EvidenceForm, dsar.verify_identity),
    "assign": Step(_("Assign"), forms_.AssignForm, dsar.assign),
    "request_information": Step(
        _("Request information"), forms_.MessageForm, dsar.request_information
    ),
    "information_received": Step(
        _("Information received"), forms_.NoteForm, dsar.receive_information
    ),
    "extend": Step(_("Extend"), forms_.ReasonForm, dsar.extend),
    "export": Step(_("Run export"), forms_.ConfirmForm, dsar.run_export),
    "plan_erasure": Step(_("Plan erasure"), forms_.ConfirmForm, dsar.plan_request_erasure),
    "approve_erasure": Step(_("Approve erasure"), forms_.ConfirmForm, dsar.approve_request_erasure),
    "execute_erasure": Step(_("Execute erasure"), forms_.ConfirmForm, dsar.execute_request_erasure),
    "restrict": Step(_("Restrict processing"), forms_.ConfirmForm, restrict),
    "lift_restriction": Step(_("Lift restriction"), forms_.ConfirmForm, lift_restriction),
    "rectify": Step(_("Rectify"), forms_.RectifyForm, rectify, initial=profile_of),
    "deny": Step(_("Deny"), forms_.ReasonForm, dsar.deny),
    "close": Step(_("Close"), forms_.NoteForm, dsar.close),
}


class DueFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("overdue", _("overdue")), ("due_soon", _("due within 7 days"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        open_requests = queryset.filter(status__in=dsar.OPEN_STATUSES)
        if self.value() == "overdue":
            return open_requests.filter(due_at__lt=now)
        if self.value() == "due_soon":
            return open_requests.filter(due_at__gte=now, due_at__lte=now + timedelta(days=7))
        return queryset


@admin.register(DataSubjectRequest)
class DataSubjectRequestAdmin(AuditedAdmin):
    """The DSAR queue: soonest deadline first; each request's page has the workflow buttons."""

    list_display = ("received_at", "email", "kind", "regime", "status", "assignee", "due")
    list_filter = (
        DueFilter,
        "status",
        "regime",
        "kind",
        ("assignee", admin.RelatedOnlyFieldListFilter),
        ("due_at", admin.DateFieldListFilter),
    )
    list_select_related = ("assignee",)
    search_fields = ("email", "id")
    ordering = ("due_at", "received_at")
    readonly_fields = (
        "id",
        "user",
        "email",
        "regime",
        "kind",
        "details",
        "language",
        "received_at",
        "due_at",
        "email_verified_at",
        "identity_verified_at",
        "identity_evidence",
        "extended",
    )
    fields = (*readonly_fields, "status", "assignee")
    inlines = (DsarEventInline,)
    actions = ("restrict", "lift_restriction", "apply_objection")
    change_form_template = "admin/privacy/datasubjectrequest/change_form.html"
    change_list_template = "admin/privacy/datasubjectrequest/change_list.html"

    def get_urls(self) -> list[Any]:
        step = self.admin_site.admin_view(self.step_view)
        metrics = self.admin_site.admin_view(self.ccpa_metrics_view)
        return [
            path("ccpa-metrics/", metrics, name="privacy_datasubjectrequest_ccpa_metrics"),
            path("<path:object_id>/step/<slug:name>/", step, name="privacy_dsar_step"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        dsr = self.get_object(request, unquote(object_id))
        if dsr is not None:
            extra_context = {
                **(extra_context or {}),
                "steps": STEPS,
                "deadlines": dsar.deadlines_of(dsr),
                "due_status": due_status(dsr),
                "waiting": dsar.is_waiting_for_information(dsr),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def step_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        if not self.has_change_permission(request) or name not in STEPS:
            raise PermissionDenied
        dsr = get_object_or_404(DataSubjectRequest, pk=object_id)
        step = STEPS[name]
        initial = step.initial(dsr) if step.initial else None
        form = step.form(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    dsar.ensure_open(dsr)
                    step.run(dsr, actor=request.user, **form.cleaned_data)
            except (dsar.DsarRefused, ValidationError) as refused:
                self.message_user(request, "; ".join(refused_messages(refused)), messages.ERROR)
            else:
                audit.record_access(
                    request,
                    action=AccessEvent.Action.CHANGE,
                    model=DataSubjectRequest,
                    object_ids=[dsr.pk],
                    fields=form.changed_data,
                    detail=name,
                )
                self.message_user(request, _("Done: %(step)s.") % {"step": step.label})
            return redirect(reverse("admin:privacy_datasubjectrequest_change", args=[dsr.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": step.label,
            "dsr": dsr,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/privacy/datasubjectrequest/step.html", context)

    def ccpa_metrics_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            year = int(request.GET.get("year", ""))
        except ValueError:
            year = timezone.now().year
        rows = metrics.ccpa_metrics(year)
        if request.GET.get("format") == "csv":
            return metrics_csv(year, rows)
        context = {
            **self.admin_site.each_context(request),
            "title": _("CCPA request metrics"),
            "year": year,
            "rows": rows,
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "admin/privacy/datasubjectrequest/ccpa_metrics.html", context
        )

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

    @admin.display(description=_("answer due by"), ordering="due_at")
    def due(self, dsr: DataSubjectRequest) -> str:
        if dsr.due_at is None:
            return self.get_empty_value_display()
        shown = date_format(timezone.localtime(dsr.due_at), "SHORT_DATE_FORMAT")
        label = due_status(dsr)
        return format_html("{} <strong>{}</strong>", shown, label) if label else shown

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def due_status(dsr: DataSubjectRequest) -> Any:
    """The queue's badge: overdue or due soon, for requests still open."""
    if dsr.status not in dsar.OPEN_STATUSES or dsr.due_at is None:
        return ""
    now = timezone.now()
    if dsr.due_at < now:
        return _("overdue")
    if dsr.due_at <= now + timedelta(days=7):
        return _("due soon")
    return ""


def refused_messages(refused: Exception) -> list[str]:
    if isinstance(refused, ValidationError):
        return [str(message) for message in refused.messages]
    return [str(refused)]


def metrics_csv(year: int, rows: list[metrics.Row]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ccpa-metrics-{year}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Year"),
            _("Request type"),
            _("Received"),
            _("Complied with in whole or in part"),
            _("Denied"),
            _("Median days to respond"),
            _("Mean days to respond"),
        ]
    )
    for row in rows:
        writer.writerow(
            [
                year,
                row.label,
                row.received,
                row.complied,
                row.denied,
                "" if row.median_days is None else row.median_days,
                "" if row.mean_days is None else row.mean_days,
            ]
        )
    return response


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


@admin.register(ProcessorTask)
class ProcessorTaskAdmin(AuditedAdmin):
    """Who else must hear of an erasure; staff tell them and tick the task off."""

    list_display = ("processor", "erasure", "created_at", "done_at", "done_by")
    list_filter = (("done_at", admin.EmptyFieldListFilter), "processor")
    list_select_related = ("erasure", "done_by")
    fields = ("erasure", "processor", "created_at", "done_at", "done_by")
    readonly_fields = fields
    actions = ("mark_done",)

    @admin.action(description=_("Mark the selected processors as told"), permissions=("change",))
    def mark_done(self, request: HttpRequest, queryset: QuerySet[ProcessorTask]) -> None:
        count = erasure.complete_processor_tasks(queryset, actor=request.user)  # type: ignore[arg-type]
        message = ngettext("%(count)d task done.", "%(count)d tasks done.", count)
        self.message_user(request, message % {"count": count})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class BreachForm(forms.ModelForm):
    data_categories = forms.MultipleChoiceField(
        label=_("Categories of data"),
        choices=list(breaches.CATEGORY_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The people affected are counted from the data inventory."),
    )

    class Meta:
        model = BreachIncident
        fields = ("became_aware_at", "description", "data_categories", "risk", "containment")


class AuthorityNoticeForm(forms.Form):
    reference = forms.CharField(label=_("The authority's reference"), max_length=200)
    late_reason = forms.CharField(
        label=_("Reason for the delay"),
        required=False,
        widget=forms.Textarea,
        help_text=_("Required after 72 hours (GDPR Art. 33(1))."),
    )


@admin.register(BreachIncident)
class BreachIncidentAdmin(AuditedAdmin):
    """The breach register: 72-hour clocks for the authority and for the people affected."""

    form = BreachForm
    list_display = (
        "became_aware_at",
        "risk",
        "people_affected",
        "authority_clock",
        "users_clock",
    )
    list_filter = ("risk",)
    readonly_fields = (
        "people_affected",
        "authority_clock",
        "authority_notified_at",
        "authority_reference",
        "late_reason",
        "users_clock",
        "users_notified_at",
        "notices_sent",
        "created_by",
        "created_at",
    )
    change_form_template = "admin/privacy/breachincident/change_form.html"

    def get_urls(self) -> list[Any]:
        authority = self.admin_site.admin_view(self.notify_authority_view)
        users = self.admin_site.admin_view(self.notify_users_view)
        return [
            path("<path:object_id>/notify-authority/", authority, name="privacy_breach_authority"),
            path("<path:object_id>/notify-users/", users, name="privacy_breach_users"),
            *super().get_urls(),
        ]

    def save_model(
        self, request: HttpRequest, obj: BreachIncident, form: Any, change: bool
    ) -> None:
        # The register's own workflow saves it (and counts the people affected).
        breaches.record_breach(obj, actor=request.user)  # type: ignore[arg-type]
        self.record_save(request, obj, form, change)

    def notify_authority_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        incident = self.incident_to_change(request, object_id)
        form = AuthorityNoticeForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                breaches.notify_authority(incident, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            except breaches.BreachRefused as refused:
                form.add_error("late_reason", str(refused))
            else:
                self.message_user(request, _("The authority's notification is recorded."))
                return redirect(reverse("admin:privacy_breachincident_change", args=[incident.pk]))
        return self.step_page(request, incident, _("Notify the authority"), form)

    def notify_users_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        incident = self.incident_to_change(request, object_id)
        form = forms_.ConfirmForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            count = breaches.notify_users(incident, actor=request.user)  # type: ignore[arg-type]
            message = ngettext("%(count)d notice queued.", "%(count)d notices queued.", count)
            self.message_user(request, message % {"count": count})
            return redirect(reverse("admin:privacy_breachincident_change", args=[incident.pk]))
        return self.step_page(request, incident, _("Notify the people affected"), form)

    def incident_to_change(self, request: HttpRequest, object_id: str) -> BreachIncident:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(BreachIncident, pk=object_id)

    def step_page(
        self, request: HttpRequest, incident: BreachIncident, title: Any, form: forms.Form
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "incident": incident,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/privacy/breachincident/step.html", context)

    @admin.display(description=_("authority notification due"))
    def authority_clock(self, incident: BreachIncident) -> str:
        if incident.pk is None:  # The add page: no clock before the breach is recorded.
            return self.get_empty_value_display()
        return clock(breaches.authority_due(incident), incident.authority_notified_at)

    @admin.display(description=_("people's notification due"))
    def users_clock(self, incident: BreachIncident) -> str:
        if incident.pk is None:
            return self.get_empty_value_display()
        return clock(breaches.users_due(incident), incident.users_notified_at)

    @admin.display(description=_("notices sent"))
    def notices_sent(self, incident: BreachIncident) -> str:
        sent = incident.notifications.filter(sent_at__isnull=False).count()
        return f"{sent} / {incident.notifications.count()}"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def clock(due: Any, done_at: Any) -> str:
    """A deadline with its state: done (on time or late), overdue, or still running."""
    shown = date_format(timezone.localtime(due), "SHORT_DATETIME_FORMAT")
    if done_at is not None:
        state = _("done") if done_at <= due else _("done late")
    else:
        state = _("overdue") if timezone.now() > due else _("open")
    return format_html("{} <strong>{}</strong>", shown, state)


@admin.register(BreachNotification)
class BreachNotificationAdmin(AuditedAdmin, ReadOnlyAdmin):
    list_display = ("incident", "user", "email", "language", "created_at", "sent_at")
    list_filter = ("incident", ("sent_at", admin.EmptyFieldListFilter), "language")
    list_select_related = ("incident", "user")


class PublishForm(forms.Form):
    effective_at = forms.SplitDateTimeField(
        label=_("Effective from"),
        required=False,
        widget=admin_widgets.AdminSplitDateTime,
        help_text=_(
            "Material changes only: at least 30 days from now. Other changes take effect at once."
        ),
    )


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(AuditedAdmin):
    """Drafts are edited freely; publishing a version is a step, and published text stays."""

    list_display = (
        "kind",
        "version",
        "language",
        "title",
        "material",
        "published_at",
        "effective_at",
    )
    list_filter = ("kind", "language", "material")
    fields = ("kind", "version", "language", "title", "body", "material")
    change_form_template = "admin/privacy/policydocument/change_form.html"

    def get_urls(self) -> list[Any]:
        publish = self.admin_site.admin_view(self.publish_view)
        return [
            path("<path:object_id>/publish/", publish, name="privacy_policy_publish"),
            *super().get_urls(),
        ]

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        document = get_object_or_404(PolicyDocument, pk=object_id)
        if not self.has_change_permission(request, document):
            raise PermissionDenied
        form = PublishForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                policies.publish(
                    document.kind,
                    document.version,
                    actor=request.user,  # type: ignore[arg-type]
                    effective_at=form.cleaned_data["effective_at"],
                )
            except policies.PolicyRefused as refused:
                form.add_error("effective_at", str(refused))
            else:
                self.message_user(request, _("The version is published."))
                return redirect(reverse("admin:privacy_policydocument_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Publish this version"),
            "document": document,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/privacy/policydocument/publish.html", context)

    def save_model(
        self, request: HttpRequest, obj: PolicyDocument, form: Any, change: bool
    ) -> None:
        if not change:
            obj.created_by_id = request.user.pk
        super().save_model(request, obj, form, change)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Published text is the record of what people were told.
        published = obj is not None and obj.published_at is not None
        return not published and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PolicyNotice)
class PolicyNoticeAdmin(AuditedAdmin, ReadOnlyAdmin):
    list_display = ("kind", "version", "user", "created_at", "sent_at")
    list_filter = ("kind", "version", ("sent_at", admin.EmptyFieldListFilter))
    list_select_related = ("user",)


@admin.register(PolicyAcknowledgement)
class PolicyAcknowledgementAdmin(AuditedAdmin, ReadOnlyAdmin):
    list_display = ("kind", "version", "user", "created_at")
    list_filter = ("kind", "version")
    list_select_related = ("user",)


@admin.register(MinorCase)
class MinorCaseAdmin(AuditedAdmin):
    """Suspected minors: suspend (anyone who may flag), confirm or dismiss (Privacy Officer)."""

    list_display = ("created_at", "reported_email", "user", "source", "status", "decided_by")
    list_filter = ("status", "source")
    list_select_related = ("user", "decided_by")
    search_fields = ("reported_email", "user__email")
    fields = (
        "user",
        "reported_email",
        "source",
        "status",
        "guardian_name",
        "guardian_email",
        "details",
        "created_at",
        "suspended_by",
        "erasure",
        "decided_by",
        "decided_at",
    )
    readonly_fields = fields
    actions = ("suspend", "confirm", "dismiss")

    @admin.action(description=_("Suspend the reported accounts"), permissions=("flag_minor",))
    def suspend(self, request: HttpRequest, queryset: QuerySet[MinorCase]) -> None:
        self.decide_each(request, queryset, minors.suspend)

    @admin.action(description=_("Confirm: close and erase the accounts"), permissions=("change",))
    def confirm(self, request: HttpRequest, queryset: QuerySet[MinorCase]) -> None:
        self.decide_each(request, queryset, minors.confirm)

    @admin.action(description=_("Dismiss: reinstate the accounts"), permissions=("change",))
    def dismiss(self, request: HttpRequest, queryset: QuerySet[MinorCase]) -> None:
        self.decide_each(request, queryset, minors.dismiss)

    def decide_each(
        self, request: HttpRequest, queryset: QuerySet[MinorCase], step: Callable[..., None]
    ) -> None:
        for case in queryset.select_related("user", "erasure"):
            try:
                step(case, actor=request.user)
            except minors.MinorCaseRefused as refused:
                self.message_user(request, f"#{case.pk}: {refused}", messages.ERROR)

    def has_flag_minor_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("privacy.add_minorcase")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Cases open from a user's page ("Suspected minor") or the guardian form.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PageView)
class PageViewAdmin(AuditedAdmin, ReadOnlyAdmin):
    """Totals by day and page only: no single view, browser or person is ever listed."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        page = Paginator(analytics.totals_by_day_and_page(), 100).get_page(request.GET.get("p"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Page views by day and page"),
            "page": page,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/privacy/pageview/totals.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        raise PermissionDenied
