"""The access audit: who looked at or changed whose personal data in admin, when and why.

Admin records through `AuditedAdmin` (privacy.audited_admin); this module is the one write
path and the one place that knows how to find the people a record is about (the inventory's
subject lookups) and how personal values are masked on screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.http import HttpRequest

from accounts.models import User
from privacy.consent import truncate_ip
from privacy.inventory import SUBJECTS, personal_fields
from privacy.models import AccessEvent


def is_personal_data_model(model: type[models.Model]) -> bool:
    """A model with at least one field the inventory classifies as personal data."""
    return bool(personal_fields(model))


def subject_ids(model: type[models.Model], object_ids: Iterable[Any]) -> list[int]:
    """The users the given rows are about, through the inventory's subject lookup."""
    lookup = SUBJECTS.get(model._meta.label)
    if lookup is None:
        return []
    rows = model._default_manager.filter(pk__in=list(object_ids))
    return sorted({pk for pk in rows.values_list(lookup, flat=True) if pk is not None})


def record_access(
    request: HttpRequest,
    *,
    action: str,
    model: type[models.Model],
    object_ids: Iterable[Any],
    fields: Iterable[str] = (),
    reason: str = "",
    detail: str = "",
) -> AccessEvent:
    """Record one access by the staff member behind `request`. Call before a deletion."""
    ids = [str(pk) for pk in object_ids]
    event = AccessEvent.objects.create(
        staff_id=request.user.pk,
        action=action,
        model=model._meta.label,
        object_ids=ids,
        fields=sorted(fields),
        reason=reason,
        detail=detail,
        ip_truncated=truncate_ip(request.META.get("REMOTE_ADDR", "")),
    )
    event.subjects.set(subject_ids(model, ids))
    return event


def events_about(user: User) -> models.QuerySet[AccessEvent]:
    """Every recorded access to this person's data, newest first."""
    return AccessEvent.objects.filter(subjects=user).select_related("staff")


def mask_email(email: str) -> str:
    """Enough to recognise an address, not to read it: the first two letters and the domain."""
    local, _at, domain = email.partition("@")
    if not domain:
        return local[:2] + "***"
    return f"{local[:2]}***@{domain}"
