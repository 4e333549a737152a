"""Erasing a person: planned from the inventory, approved by a second person, executed, verified.

For every model with rows about the person, the inventory says what happens to each field:
rows whose personal fields are all `delete` are deleted; otherwise the row stays (something
in it is retained, e.g. payment records under legal obligation) and its `delete` fields are
emptied and its `anonymize` fields replaced by their strategy. Executing twice changes nothing
more, so an interrupted erasure is finished by running it again. The email's keyed hash goes
on the suppression list, and `manage.py replay_erasures` erases it again after a restore.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.mail import send_mail
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Preferences, User
from billing.models import Hold, TopUpOrder
from gateway.models import UsageLog
from privacy.inventory import Erasure, Personal, our_models, personal_fields, rows_of
from privacy.models import (
    DataSubjectRequest,
    DsarEvent,
    ErasurePlan,
    LegalHold,
    ProcessorTask,
    SuppressionEntry,
)


class ErasureRefused(Exception):
    pass


def suppression_hash(email: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def anonymized(strategy: str, row: models.Model, field: models.Field[Any, Any]) -> Any:
    """The value that replaces a field under an anonymization strategy."""
    if strategy == "deleted-user-email":
        return f"deleted-{row.pk}@erased.invalid"
    if strategy == "deleted-user-username":
        return f"deleted-{row.pk}"
    if strategy == "unusable-password":
        return make_password(None)
    if strategy == "false":
        return False
    if strategy == "null" or (strategy == "blank" and field.null):
        return None
    if strategy == "blank":
        return ""
    raise ValueError(f"Unknown anonymization strategy: {strategy}")


def emptied(field: models.Field[Any, Any]) -> Any:
    """A `delete` field of a row that must stay: the value goes, the row keeps its shape."""
    if field.null:
        return None
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.JSONField):
        return field.get_default()
    return ""


def actions(model: type[models.Model]) -> tuple[bool, dict[str, Personal]]:
    """Whether rows of `model` are deleted outright, and the personal fields otherwise."""
    fields = personal_fields(model)
    whole_row = bool(fields) and all(item.erasure == Erasure.DELETE for item in fields.values())
    return whole_row, fields


def plan_for(user: User) -> dict[str, dict[str, Any]]:
    """What erasure would do, model by model (a dry run)."""
    plan: dict[str, dict[str, Any]] = {}
    for model in our_models():
        whole_row, fields = actions(model)
        count = rows_of(model, user.pk).count() if fields else 0
        if not count:
            continue
        plan[model._meta.label] = {
            "rows": count,
            "action": "delete rows" if whole_row else "update rows",
            "delete": sorted(n for n, i in fields.items() if i.erasure == Erasure.DELETE),
            "anonymize": {
                n: i.strategy for n, i in sorted(fields.items()) if i.erasure == Erasure.ANONYMIZE
            },
            "retain": {
                n: f"{i.basis}; {i.retention}"
                for n, i in sorted(fields.items())
                if i.erasure == Erasure.RETAIN
            },
        }
    return plan


def plan_erasure(user: User, *, planned_by: User | None = None, request: Any = None) -> ErasurePlan:
    return ErasurePlan.objects.create(
        user=user, request=request, planned_by=planned_by, plan=plan_for(user)
    )


def approve_erasure(erasure: ErasurePlan, *, approver: User) -> None:
    """The second person of the two-person rule: never the one who planned it."""
    if erasure.planned_by_id is not None and erasure.planned_by_id == approver.pk:
        raise ErasureRefused("The approver must be someone other than the planner.")
    updated = ErasurePlan.objects.filter(pk=erasure.pk, status=ErasurePlan.Status.PLANNED).update(
        status=ErasurePlan.Status.APPROVED, approved_by=approver, approved_at=timezone.now()
    )
    if not updated:
        raise ErasureRefused("Only a planned erasure can be approved.")
    erasure.refresh_from_db()


def erase_user_data(user: User) -> dict[str, int]:
    """Apply the inventory to every row about `user`; returns rows touched per model."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        for model in our_models():
            whole_row, fields = actions(model)
            if not fields or model is User:
                continue
            rows = rows_of(model, user.pk)
            if whole_row:
                counts[model._meta.label], _by_model = rows.delete()
            else:
                counts[model._meta.label] = sum(scrub(row, fields) for row in rows)
        # Accounts are not ours to delete (payment records point at them): scrub the row.
        counts[User._meta.label] = scrub(user, personal_fields(User))
        # django-allauth's tables hold the email and sign-in links too.
        EmailAddress.objects.filter(user=user).delete()
        SocialAccount.objects.filter(user=user).delete()
    for session in UserSession.objects.filter(user=user):
        session.end()
    return counts


def scrub(row: models.Model, fields: dict[str, Personal]) -> int:
    """Empty or anonymize a row's fields as the inventory says; returns 1."""
    changed = []
    for name, item in fields.items():
        field = row._meta.get_field(name)
        assert isinstance(field, models.Field)
        if item.erasure == Erasure.RETAIN:
            continue
        if field.many_to_many:
            getattr(row, name).clear()
            continue
        if isinstance(field, models.FileField) and getattr(row, name):
            getattr(row, name).delete(save=False)
        if item.erasure == Erasure.ANONYMIZE:
            value = anonymized(item.strategy, row, field)
        else:
            value = emptied(field)
        setattr(row, field.attname, value)
        changed.append(field.attname)
    if changed:
        type(row)._default_manager.filter(pk=row.pk).update(
            **{attname: getattr(row, attname) for attname in changed}
        )
    return 1


def processors_to_notify(user: User) -> list[str]:
    """Who else processed this person's data and must be told (tasks for staff)."""
    providers = TopUpOrder.objects.filter(user=user).values_list("provider", flat=True)
    processors = sorted({f"payment provider: {name}" for name in providers})
    if UsageLog.objects.filter(
        request_id__in=Hold.objects.filter(wallet_id=user.pk).values("request_id")
    ).exists():
        processors.append("upstream model providers of the channels used")
    return processors


def leftovers(user: User, original_email: str) -> list[str]:
    """Places where the person's email still stands outside fields declared `retain`."""
    found = []
    for model in our_models():
        for name, item in personal_fields(model).items():
            field = model._meta.get_field(name)
            if item.erasure == Erasure.RETAIN or not isinstance(
                field, models.CharField | models.TextField
            ):
                continue
            if rows_of(model, user.pk).filter(**{f"{name}__icontains": original_email}).exists():
                found.append(f"{model._meta.label}.{name}")
    return found


def execute_erasure(erasure: ErasurePlan) -> dict[str, Any]:
    """Erase an approved plan's person, verify, record and send the receipt. Idempotent."""
    if erasure.status == ErasurePlan.Status.EXECUTED:
        erase_user_data(erasure.user)  # Finishing an interrupted run changes nothing else.
        return erasure.receipt
    if erasure.status != ErasurePlan.Status.APPROVED:
        raise ErasureRefused("An erasure must be approved before it runs.")
    user = erasure.user
    if LegalHold.objects.active().filter(user=user).exists():
        raise ErasureRefused("This person's data is under a legal hold.")
    original_email = user.email
    language = Preferences.objects.for_user(user).language
    # One transaction from the first erased row to the plan marked executed: a worker killed
    # anywhere in between leaves the person untouched, and the re-run still knows their
    # address (for the suppression list and the receipt).
    with transaction.atomic():
        counts = erase_user_data(user)
        user.refresh_from_db()
        remaining = leftovers(user, original_email)
        if remaining:
            raise ErasureRefused(f"Personal data left after erasure: {', '.join(remaining)}")
        receipt = {
            "erased_at": timezone.now().isoformat(),
            "rows": counts,
            "notify_processors": processors_to_notify(user),
        }
        SuppressionEntry.objects.get_or_create(identifier_hash=suppression_hash(original_email))
        User.objects.filter(pk=user.pk).update(
            is_active=False, closed_at=user.closed_at or timezone.now()
        )
        erasure.status, erasure.receipt = ErasurePlan.Status.EXECUTED, receipt
        erasure.executed_at = timezone.now()
        erasure.save(update_fields=["status", "receipt", "executed_at"])
        # Staff tell each processor and tick the task off (tracked to completion in admin).
        ProcessorTask.objects.bulk_create(
            ProcessorTask(erasure=erasure, processor=name) for name in receipt["notify_processors"]
        )
        if erasure.request is not None:
            record_request_fulfilled(erasure.request)
    with translation.override(language):
        subject = render_to_string("privacy/email/erasure_receipt_subject.txt").strip()
        body = render_to_string("privacy/email/erasure_receipt_message.txt", {"receipt": receipt})
    send_mail(subject, body, None, [original_email])
    return receipt


def record_request_fulfilled(dsr: DataSubjectRequest) -> None:
    DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.ERASURE_EXECUTED)
    DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.FULFILLED)
    dsr.status = DataSubjectRequest.Status.FULFILLED
    dsr.save(update_fields=["status"])


def replay_erasures() -> list[int]:
    """After a restore: erase again every account whose email is on the suppression list."""
    suppressed = set(SuppressionEntry.objects.values_list("identifier_hash", flat=True))
    erased = []
    for user in User.objects.exclude(email__endswith="@erased.invalid").iterator():
        if suppression_hash(user.email) in suppressed:
            erase_user_data(user)
            User.objects.filter(pk=user.pk).update(is_active=False)
            erased.append(user.pk)
    return erased


def complete_processor_tasks(tasks: models.QuerySet[ProcessorTask], *, actor: User) -> int:
    """Staff told these processors about the erasure: tick them off (once)."""
    return tasks.filter(done_at__isnull=True).update(done_at=timezone.now(), done_by=actor)
