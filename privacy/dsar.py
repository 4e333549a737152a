"""Data subject requests: intake, acknowledgement, deadlines and the data export.

The legal clock starts when a request is received. A signed-in person is identified by
their login; a request from the public form is held until its email address is confirmed
through a signed link, and staff verify identity before acting on it (back office).
"""

from __future__ import annotations

from datetime import UTC, timedelta

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import User
from privacy import deadlines
from privacy.consent import record_consent
from privacy.erasure import plan_erasure
from privacy.exports import build_archive
from privacy.models import (
    ConsentRecord,
    DataExport,
    DataSubjectRequest,
    DsarEvent,
    Purpose,
    RetentionPolicy,
)

VERIFY_SALT = "privacy.dsar.verify"
# Requests answered with the person's data (the export).
EXPORT_KINDS = {DataSubjectRequest.Kind.ACCESS, DataSubjectRequest.Kind.PORTABILITY}


def submit_request(
    *,
    kind: str,
    regime: str,
    details: str,
    language: str,
    user: User | None = None,
    email: str = "",
) -> DataSubjectRequest:
    """Record a request; a signed-in person's identity counts as verified at once."""
    now = timezone.now()
    with transaction.atomic():
        dsr = DataSubjectRequest.objects.create(
            user=user,
            email=user.email if user else email,
            kind=kind,
            regime=regime,
            details=details,
            language=language,
            received_at=now,
            email_verified_at=now if user else None,
            identity_verified_at=now if user else None,
        )
        DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.RECEIVED)
        if user is not None:
            note = "Signed in to the console."
            DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.IDENTITY_VERIFIED, note=note)
        # Imported here: the tasks module imports this one.
        from privacy.tasks import acknowledge_request as acknowledge_request_task
        from privacy.tasks import fulfil_export as fulfil_export_task

        transaction.on_commit(lambda: acknowledge_request_task.delay(str(dsr.pk)))
        if user is not None and kind == DataSubjectRequest.Kind.ERASURE:
            # Staff approve it (two-person rule) before it runs.
            plan_erasure(user, request=dsr)
        if user is not None and kind in EXPORT_KINDS:
            transaction.on_commit(lambda: fulfil_export_task.delay(str(dsr.pk)))
    return dsr


def deadlines_of(dsr: DataSubjectRequest) -> deadlines.Deadlines:
    return deadlines.deadlines(
        deadlines.Regime(dsr.regime),
        received_at=dsr.received_at.astimezone(UTC),
        extended=dsr.extended,
    )


def verification_token(dsr: DataSubjectRequest) -> str:
    return signing.dumps(str(dsr.pk), salt=VERIFY_SALT)


def confirm_email(token: str) -> DataSubjectRequest | None:
    """The public form's signed link: the address is the requester's (once)."""
    try:
        request_id = signing.loads(token, salt=VERIFY_SALT, max_age=60 * 60 * 24 * 30)
    except signing.BadSignature:
        return None
    dsr = DataSubjectRequest.objects.filter(pk=request_id).first()
    if dsr is not None and dsr.email_verified_at is None:
        dsr.email_verified_at = timezone.now()
        dsr.save(update_fields=["email_verified_at"])
        DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.EMAIL_VERIFIED)
    return dsr


def send_in_language(dsr: DataSubjectRequest, template: str, context: dict[str, object]) -> None:
    with translation.override(dsr.language):
        context = {"dsr": dsr, "site_url": settings.SITE_URL.rstrip("/"), **context}
        subject = render_to_string(f"privacy/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"privacy/email/{template}_message.txt", context)
    send_mail(subject, body, None, [dsr.email])


def acknowledge(dsr: DataSubjectRequest) -> None:
    """Confirm receipt at once (the policy promises within 48 hours), with the deadline."""
    context: dict[str, object] = {"respond_by": deadlines_of(dsr).respond_by}
    if dsr.email_verified_at is None:
        context["verify_path"] = f"/privacy/request/verify/{verification_token(dsr)}/"
    send_in_language(dsr, "acknowledgement", context)
    DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.ACKNOWLEDGED)


def fulfil_export(dsr: DataSubjectRequest) -> DataExport:
    """Build the archive, keep it for the data-export retention period, and send a link."""
    if hasattr(dsr, "export"):
        return dsr.export
    assert dsr.user is not None, "Exports are for identified people."
    archive = build_archive(dsr.user, language=dsr.language)
    with transaction.atomic():
        days = RetentionPolicy.objects.get(key="data_exports").days
        export = DataExport(
            request=dsr, user=dsr.user, expires_at=timezone.now() + timedelta(days=days)
        )
        export.archive.save("export.zip", ContentFile(archive), save=False)
        export.save()
        DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.EXPORT_READY)
        DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.FULFILLED)
        dsr.status = DataSubjectRequest.Status.FULFILLED
        dsr.save(update_fields=["status"])
    send_in_language(
        dsr,
        "export_ready",
        {"download_path": f"/privacy/exports/{export.token}/", "expires_at": export.expires_at},
    )
    return export


def restrict_processing(dsr: DataSubjectRequest, *, actor: User, lift: bool = False) -> None:
    """Art. 18: while restricted, the gateway refuses the person's requests."""
    assert dsr.user is not None, "Restriction needs an identified person."
    User.objects.filter(pk=dsr.user.pk).update(processing_restricted=not lift)
    kind = DsarEvent.Kind.RESTRICTION_LIFTED if lift else DsarEvent.Kind.RESTRICTED
    DsarEvent.objects.create(request=dsr, kind=kind, actor=actor)


def apply_objection(dsr: DataSubjectRequest, *, actor: User) -> None:
    """Art. 21: marketing and analytics stop for this person (recorded as withdrawals)."""
    assert dsr.user is not None, "An objection needs an identified person."
    for purpose in (Purpose.MARKETING_EMAILS, Purpose.ANALYTICS_COOKIES):
        record_consent(
            purpose=purpose, granted=False, method=ConsentRecord.Method.STAFF, user=dsr.user
        )
    DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.OBJECTION_APPLIED, actor=actor)


def record_staff_changes(dsr: DataSubjectRequest, *, actor: User, changed: list[str]) -> None:
    """Staff changed the assignee or status in admin: each change is an event."""
    if "assignee" in changed:
        note = str(dsr.assignee) if dsr.assignee else ""
        DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.ASSIGNED, actor=actor, note=note)
    if "status" in changed and dsr.status in DsarEvent.Kind.values:
        DsarEvent.objects.create(request=dsr, kind=dsr.status, actor=actor)
