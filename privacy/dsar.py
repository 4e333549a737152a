"""Data subject requests: intake, acknowledgement, deadlines and the data export.

The legal clock starts when a request is received. A signed-in person is identified by
their login; a request from the public form is held until its email address is confirmed
through a signed link, and staff verify identity before acting on it (back office).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Preferences, User
from privacy import deadlines, erasure
from privacy.consent import record_consent
from privacy.erasure import plan_erasure
from privacy.exports import build_archive
from privacy.models import (
    ConsentRecord,
    DataExport,
    DataSubjectRequest,
    DsarEvent,
    ErasurePlan,
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
        refresh_due(dsr)
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


class DsarRefused(Exception):
    """A step the request's state or its regime does not allow; the message says why."""


def pauses_of(dsr: DataSubjectRequest) -> list[deadlines.Pause]:
    """Waits for information from the requester: from each request to its answer."""
    pauses: list[deadlines.Pause] = []
    waiting_since: datetime | None = None
    for event in dsr.events.filter(kind__in=[PAUSE_START, PAUSE_END]).order_by("created_at"):
        if event.kind == PAUSE_START and waiting_since is None:
            waiting_since = event.created_at
        elif event.kind == PAUSE_END and waiting_since is not None:
            pauses.append(deadlines.Pause(start=waiting_since, end=event.created_at))
            waiting_since = None
    if waiting_since is not None:
        pauses.append(deadlines.Pause(start=waiting_since, end=None))
    return pauses


PAUSE_START = DsarEvent.Kind.INFORMATION_REQUESTED
PAUSE_END = DsarEvent.Kind.INFORMATION_RECEIVED


def deadlines_of(dsr: DataSubjectRequest, *, now: datetime | None = None) -> deadlines.Deadlines:
    return deadlines.deadlines(
        deadlines.Regime(dsr.regime),
        received_at=dsr.received_at.astimezone(UTC),
        pauses=pauses_of(dsr),
        extended=dsr.extended,
        now=(now or timezone.now()).astimezone(UTC),
    )


def refresh_due(dsr: DataSubjectRequest) -> None:
    """Store the current deadline, for the queue's order and filters and the reminders."""
    dsr.due_at = deadlines_of(dsr).respond_by
    dsr.save(update_fields=["due_at"])


def is_waiting_for_information(dsr: DataSubjectRequest) -> bool:
    pauses = pauses_of(dsr)
    return bool(pauses) and pauses[-1].end is None


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


def acknowledge(dsr: DataSubjectRequest, *, actor: User | None = None) -> None:
    """Confirm receipt at once (the policy promises within 48 hours), with the deadline."""
    context: dict[str, object] = {"respond_by": deadlines_of(dsr).respond_by}
    if dsr.email_verified_at is None:
        context["verify_path"] = f"/privacy/request/verify/{verification_token(dsr)}/"
    send_in_language(dsr, "acknowledgement", context)
    DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.ACKNOWLEDGED, actor=actor)


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


@dataclass(frozen=True)
class ExportState:
    """The privacy centre's view of the latest export: pending, ready or expired."""

    request: DataSubjectRequest
    status: str
    export: DataExport | None = None


def own_requests(user: User) -> list[tuple[DataSubjectRequest, datetime]]:
    """The person's requests, newest first, each with the date it must be answered by."""
    own = DataSubjectRequest.objects.filter(user=user).order_by("-received_at")
    return [(item, deadlines_of(item).respond_by) for item in own]


def latest_export(user: User, *, now: datetime | None = None) -> ExportState | None:
    """The person's latest export request and where it stands; None when there is none."""
    dsr = (
        DataSubjectRequest.objects.filter(user=user, kind__in=EXPORT_KINDS)
        .select_related("export")
        .order_by("-received_at")
        .first()
    )
    if dsr is None:
        return None
    export = getattr(dsr, "export", None)
    if export is not None:
        ready = export.expires_at > (now or timezone.now()) and bool(export.archive)
        return ExportState(request=dsr, status="ready" if ready else "expired", export=export)
    # Retention deletes expired exports; a fulfilled request without one has expired.
    if dsr.status == DataSubjectRequest.Status.FULFILLED:
        return ExportState(request=dsr, status="expired")
    if dsr.status in (DataSubjectRequest.Status.DENIED, DataSubjectRequest.Status.CLOSED):
        return None
    return ExportState(request=dsr, status="pending")


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


OPEN_STATUSES = (DataSubjectRequest.Status.RECEIVED, DataSubjectRequest.Status.IN_PROGRESS)


def ensure_open(dsr: DataSubjectRequest) -> None:
    """A closed request is history: nothing more is done under it."""
    if dsr.status == DataSubjectRequest.Status.CLOSED:
        raise DsarRefused(_("This request is closed."))


def start_work(dsr: DataSubjectRequest) -> None:
    if dsr.status == DataSubjectRequest.Status.RECEIVED:
        dsr.status = DataSubjectRequest.Status.IN_PROGRESS
        dsr.save(update_fields=["status"])


def verify_identity(dsr: DataSubjectRequest, *, actor: User, evidence: str) -> None:
    """Staff checked who the requester is; `evidence` says how (never copies of documents)."""
    dsr.identity_verified_at = timezone.now()
    dsr.identity_evidence = evidence
    dsr.save(update_fields=["identity_verified_at", "identity_evidence"])
    if dsr.user is None:
        # The verified requester's account, when the address belongs to one.
        dsr.user = User.objects.filter(email__iexact=dsr.email).first()
        dsr.save(update_fields=["user"])
    DsarEvent.objects.create(
        request=dsr, kind=DsarEvent.Kind.IDENTITY_VERIFIED, actor=actor, note=evidence
    )
    start_work(dsr)


def assign(dsr: DataSubjectRequest, *, assignee: User | None, actor: User) -> None:
    dsr.assignee = assignee
    dsr.save(update_fields=["assignee"])
    note = assignee.email if assignee else ""
    DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.ASSIGNED, actor=actor, note=note)
    start_work(dsr)


def request_information(dsr: DataSubjectRequest, *, actor: User, message: str) -> bool:
    """Ask the requester for what we need; returns whether the clock stopped (where lawful)."""
    if is_waiting_for_information(dsr):
        raise DsarRefused(_("This request is already waiting for information."))
    DsarEvent.objects.create(request=dsr, kind=PAUSE_START, actor=actor, note=message)
    refresh_due(dsr)
    start_work(dsr)
    send_in_language(dsr, "information_requested", {"message": message})
    return deadlines.RULES[deadlines.Regime(dsr.regime)].pausable_for_identity


def receive_information(dsr: DataSubjectRequest, *, actor: User, note: str = "") -> None:
    if not is_waiting_for_information(dsr):
        raise DsarRefused(_("This request is not waiting for information."))
    DsarEvent.objects.create(request=dsr, kind=PAUSE_END, actor=actor, note=note)
    refresh_due(dsr)


def extend(dsr: DataSubjectRequest, *, actor: User, reason: str) -> None:
    """Take the regime's one extension, telling the requester why (GDPR Art. 12(3))."""
    if not deadlines.can_extend(
        deadlines.Regime(dsr.regime),
        received_at=dsr.received_at.astimezone(UTC),
        pauses=pauses_of(dsr),
        at=timezone.now().astimezone(UTC),
        extended=dsr.extended,
    ):
        raise DsarRefused(_("This request cannot be extended (any more)."))
    dsr.extended = True
    dsr.save(update_fields=["extended"])
    DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.EXTENDED, actor=actor, note=reason)
    refresh_due(dsr)
    send_in_language(
        dsr, "extended", {"reason": reason, "respond_by": deadlines_of(dsr).respond_by}
    )


def run_export(dsr: DataSubjectRequest, *, actor: User) -> None:
    """Build and send the person's data export (identity must be verified first)."""
    if dsr.identity_verified_at is None or dsr.user is None:
        raise DsarRefused(_("Verify the requester's identity and account first."))
    from privacy.tasks import fulfil_export as fulfil_export_task

    start_work(dsr)
    transaction.on_commit(lambda: fulfil_export_task.delay(str(dsr.pk)))


def plan_request_erasure(dsr: DataSubjectRequest, *, actor: User) -> None:
    if dsr.identity_verified_at is None or dsr.user is None:
        raise DsarRefused(_("Verify the requester's identity and account first."))
    if hasattr(dsr, "erasure"):
        raise DsarRefused(_("This request already has an erasure plan."))
    plan_erasure(dsr.user, planned_by=actor, request=dsr)
    DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.ERASURE_PLANNED, actor=actor)
    start_work(dsr)


def approve_request_erasure(dsr: DataSubjectRequest, *, actor: User) -> None:
    """The second person of the two-person rule (privacy.erasure refuses the planner)."""
    plan = ErasurePlan.objects.filter(request=dsr).first()
    if plan is None:
        raise DsarRefused(_("Plan the erasure first."))
    try:
        erasure.approve_erasure(plan, approver=actor)
    except erasure.ErasureRefused as refused:
        raise DsarRefused(str(refused)) from refused
    DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.ERASURE_APPROVED, actor=actor)


def execute_request_erasure(dsr: DataSubjectRequest, *, actor: User) -> None:
    plan = ErasurePlan.objects.filter(request=dsr, status=ErasurePlan.Status.APPROVED).first()
    if plan is None:
        raise DsarRefused(_("Only an approved erasure can run."))
    from privacy.tasks import execute_erasure as execute_erasure_task

    transaction.on_commit(lambda: execute_erasure_task.delay(plan.pk))


def rectify(dsr: DataSubjectRequest, *, actor: User, changes: dict[str, str]) -> list[str]:
    """Correct the person's profile; the event names the fields, never the values."""
    if dsr.user is None or dsr.identity_verified_at is None:
        raise DsarRefused(_("Verify the requester's identity and account first."))
    changed = sorted(name for name, value in changes.items() if getattr(dsr.user, name) != value)
    for name in changed:
        setattr(dsr.user, name, changes[name])
    dsr.user.full_clean()
    dsr.user.save(update_fields=changed)
    if "email" in changed:
        # allauth signs in with its own copy of the address.
        EmailAddress.objects.filter(user=dsr.user, primary=True).update(email=dsr.user.email)
    note = ", ".join(changed)
    DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.RECTIFIED, actor=actor, note=note)
    start_work(dsr)
    return changed


def deny(dsr: DataSubjectRequest, *, actor: User, reason: str) -> None:
    """Refuse with reasons and the right to complain (GDPR Art. 12(4); 11 CCR § 7024)."""
    dsr.status = DataSubjectRequest.Status.DENIED
    dsr.save(update_fields=["status"])
    DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.DENIED, actor=actor, note=reason)
    send_in_language(dsr, "denied", {"reason": reason})


def close(dsr: DataSubjectRequest, *, actor: User, note: str = "") -> None:
    dsr.status = DataSubjectRequest.Status.CLOSED
    dsr.save(update_fields=["status"])
    DsarEvent.objects.create(request=dsr, kind=DsarEvent.Kind.CLOSED, actor=actor, note=note)
    send_in_language(dsr, "closed", {})


def send_deadline_reminders(*, now: datetime | None = None) -> dict[str, int]:
    """Daily: remind assignees of answers due within 7 days; escalate overdue ones to every
    Privacy Officer. Returns how many emails went out of each kind."""
    now = now or timezone.now()
    open_requests = DataSubjectRequest.objects.filter(status__in=OPEN_STATUSES)
    for dsr in open_requests.filter(events__kind=PAUSE_START).distinct():
        refresh_due(dsr)  # An open wait for information moves the deadline every day.
    due_soon = open_requests.filter(
        due_at__gte=now, due_at__lte=now + timedelta(days=7), assignee__is_active=True
    ).select_related("assignee")
    for dsr in due_soon:
        assert dsr.assignee is not None
        send_to_staff(dsr.assignee, "due_soon", {"requests": [dsr]})
    overdue = list(open_requests.filter(due_at__lt=now))
    officers = User.objects.filter(groups__name=PRIVACY_OFFICER, is_active=True).distinct()
    if overdue:
        for officer in officers:
            send_to_staff(officer, "overdue", {"requests": overdue})
    return {"due_soon": len(due_soon), "escalations": len(officers) if overdue else 0}


PRIVACY_OFFICER = "Privacy Officer"


def send_to_staff(member: User, template: str, context: dict[str, object]) -> None:
    with translation.override(Preferences.objects.for_user(member).language):
        context = {"site_url": settings.SITE_URL.rstrip("/"), **context}
        subject = render_to_string(f"privacy/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"privacy/email/{template}_message.txt", context)
    send_mail(subject, body, None, [member.email])
