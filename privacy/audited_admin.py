"""The admin base for every model holding personal data: audited, and masked in lists.

Which models need it comes from the data inventory (`privacy.audit.is_personal_data_model`);
the system check `privacy.E002` names a registered admin of such a model that lacks it.
Lists show emails partly and IPs truncated; revealing the real values is an admin action that
asks for a reason. Every list, view, change, addition, deletion, export and reveal is recorded
as an `AccessEvent`.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.options import IS_POPUP_VAR, ActionLocation
from django.contrib.admin.utils import label_for_field, lookup_field, unquote
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from privacy import audit
from privacy.consent import truncate_ip
from privacy.models import AccessEvent

# Actions that record their own event (or leave it to `delete_queryset`).
SELF_RECORDING_ACTIONS = ("delete_selected", "reveal_selected", "export_selected")


def masker(field: models.Field[Any, Any] | Any) -> Callable[[Any], str] | None:
    """How a list shows this field's values, or None when it shows them as they are."""
    if isinstance(field, models.EmailField):
        return audit.mask_email
    if isinstance(field, models.GenericIPAddressField):
        return truncate_ip
    if isinstance(field, models.ForeignKey) and field.related_model._meta.label == (
        settings.AUTH_USER_MODEL
    ):
        return lambda user: audit.mask_email(user.email)
    return None


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded with your name in the access log."),
    )


class AuditedAdmin(admin.ModelAdmin):
    """Records every access as an AccessEvent; masks emails, users and IPs in lists."""

    def masked_fields(self) -> dict[str, Callable[[Any], str]]:
        found = {}
        for field in self.model._meta.get_fields():
            mask = masker(field)
            if mask is not None:
                found[field.name] = mask
        return found

    def get_list_display(self, request: HttpRequest) -> Any:
        masked = self.masked_fields()
        return [
            self.masked_column(name, masked[name]) if name in masked else name
            for name in super().get_list_display(request)
        ]

    def masked_column(self, name: str, mask: Callable[[Any], str]) -> Callable[[Any], str]:
        @admin.display(description=self.model._meta.get_field(name).verbose_name, ordering=name)
        def column(obj: Any) -> str:
            value = getattr(obj, name)
            return mask(value) if value else self.get_empty_value_display()

        return column

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if request.method == "GET" and changelist is not None and changelist.result_list:
            shown = [obj.pk for obj in changelist.result_list]
            audit.record_access(
                request, action=AccessEvent.Action.LIST, model=self.model, object_ids=shown
            )
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            audit.record_access(
                request,
                action=AccessEvent.Action.VIEW,
                model=self.model,
                object_ids=[unquote(object_id)],
            )
        return response

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        self.record_save(request, obj, form, change)

    def record_save(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Field names only: the values are what the record protects.
        audit.record_access(
            request,
            action=AccessEvent.Action.CHANGE if change else AccessEvent.Action.ADD,
            model=self.model,
            object_ids=[obj.pk],
            fields=form.changed_data if change else (),
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit.record_access(
            request, action=AccessEvent.Action.DELETE, model=self.model, object_ids=[obj.pk]
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        audit.record_access(
            request, action=AccessEvent.Action.DELETE, model=self.model, object_ids=ids
        )
        super().delete_queryset(request, queryset)

    def get_actions(
        self, request: HttpRequest, action_location: Any = ActionLocation.CHANGE_LIST
    ) -> dict[str, Any]:
        actions: dict[str, Any] = super().get_actions(request, action_location=action_location)
        for name, action in list(actions.items()):
            if name not in SELF_RECORDING_ACTIONS:
                actions[name] = dataclasses.replace(
                    action, func=self.audited_action(action.func, name)
                )
        if self.actions is None or IS_POPUP_VAR in request.GET:
            return actions
        if self.has_view_permission(request):
            for name in ("reveal_selected", "export_selected"):
                found = self.get_action(name, action_location)
                if found is not None:
                    actions[name] = found
        return actions

    def audited_action(self, func: Callable[..., Any], name: str) -> Callable[..., Any]:
        def run(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
            audit.record_access(
                request,
                action=AccessEvent.Action.CHANGE,
                model=self.model,
                object_ids=queryset.values_list("pk", flat=True),
                detail=name,
            )
            return func(modeladmin, request, queryset)

        return run

    def action_checkbox(self, obj: Any) -> SafeString:
        # Django labels the checkbox with str(obj), which is often an email address.
        attrs = {"class": "action-select", "aria-label": str(_("Select this row"))}
        checkbox = forms.CheckboxInput(attrs, lambda value: False)
        return checkbox.render(helpers.ACTION_CHECKBOX_NAME, str(obj.pk))

    @admin.action(description=_("Reveal masked values of selected rows (reason required)"))
    def reveal_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        form = RevealForm(request.POST if "reveal" in request.POST else None)
        masked = self.masked_fields()
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Reveal masked values"),
            "opts": self.model._meta,
            "form": form,
            "selected": queryset.values_list("pk", flat=True),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        if form.is_valid():
            audit.record_access(
                request,
                action=AccessEvent.Action.REVEAL,
                model=self.model,
                object_ids=queryset.values_list("pk", flat=True),
                fields=masked,
                reason=form.cleaned_data["reason"],
            )
            context["headers"] = [self.model._meta.get_field(name).verbose_name for name in masked]
            context["rows"] = [
                (obj, [revealed(getattr(obj, name)) for name in masked]) for obj in queryset
            ]
        return TemplateResponse(request, "admin/privacy/reveal.html", context)

    @admin.action(description=_("Download selected rows as CSV (masked)"))
    def export_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
        columns = [name for name in self.get_list_display(request) if name != "action_checkbox"]
        audit.record_access(
            request,
            action=AccessEvent.Action.EXPORT,
            model=self.model,
            object_ids=queryset.values_list("pk", flat=True),
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        filename = f"{self.model._meta.model_name}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        writer = csv.writer(response)
        writer.writerow([str(label_for_field(column, self.model, self)) for column in columns])
        for obj in queryset:
            writer.writerow([lookup_field(column, obj, self)[2] for column in columns])
        return response


def revealed(value: Any) -> str:
    if isinstance(value, models.Model):
        return str(getattr(value, "email", value))
    return "" if value is None else str(value)


def unaudited_admins(site: admin.AdminSite) -> list[str]:
    """Registered admins of personal-data models that do not record access."""
    return sorted(
        model._meta.label
        for model, model_admin in site._registry.items()
        if audit.is_personal_data_model(model) and not isinstance(model_admin, AuditedAdmin)
    )
