"""Suspected minors (privacy policy section 8): suspend at once, then erase or reinstate.

Staff who suspect a minor suspend the account straight away (signed out, deactivated,
processing restricted) and the erasure is planned in the same step; a guardian's report opens
a case for staff to act on. A Privacy Officer other than the one who suspended confirms the case,
which approves the planned erasure (the two-person rule of privacy.erasure) and runs the erasure
job, closing the account; or dismisses it and reinstates the account.
"""

from __future__ import annotations

from allauth.usersessions.models import UserSession
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from privacy import dsar, erasure
from privacy.models import ErasurePlan, MinorCase


class MinorCaseRefused(Exception):
    """A step the case's state does not allow; the message says why."""


def suspect_minor(user: User, *, actor: User, details: str = "") -> MinorCase:
    """Staff suspect a minor: the account stops at once and its erasure awaits confirmation."""
    case = MinorCase.objects.filter(user=user, status=MinorCase.Status.REPORTED).first()
    if case is None:
        case = MinorCase(user=user, reported_email=user.email, source=MinorCase.Source.STAFF)
    if details:
        case.details = f"{case.details}\n{details}".strip()
    suspend(case, actor=actor)
    return case


def suspend(case: MinorCase, *, actor: User) -> None:
    if case.user is None:
        raise MinorCaseRefused(_("No account matches this report; there is nothing to suspend."))
    user = case.user
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False, processing_restricted=True)
        case.status = MinorCase.Status.SUSPENDED
        case.suspended_by = actor
        case.erasure = erasure.plan_erasure(user, planned_by=actor)
        case.save()
    for session in UserSession.objects.filter(user=user):
        session.end()


def report_by_guardian(
    *, child_email: str, guardian_name: str, guardian_email: str, details: str
) -> MinorCase:
    """The public form: a case staff look at; nothing is suspended on a stranger's word."""
    return MinorCase.objects.create(
        user=User.objects.filter(email__iexact=child_email).first(),
        reported_email=child_email,
        source=MinorCase.Source.GUARDIAN,
        status=MinorCase.Status.REPORTED,
        guardian_name=guardian_name,
        guardian_email=guardian_email,
        details=details,
    )


def tell_privacy_officers(case: MinorCase) -> None:
    officers = User.objects.filter(groups__name=dsar.PRIVACY_OFFICER, is_active=True).distinct()
    for officer in officers:
        dsar.send_to_staff(officer, "minor_reported", {"case": case})


def confirm(case: MinorCase, *, actor: User) -> None:
    """A Privacy Officer confirms: the planned erasure is approved and the erasure job runs."""
    if case.status != MinorCase.Status.SUSPENDED or case.erasure is None:
        raise MinorCaseRefused(_("Only a suspended account can be confirmed as a minor's."))
    try:
        erasure.approve_erasure(case.erasure, approver=actor)
    except erasure.ErasureRefused as refused:
        raise MinorCaseRefused(str(refused)) from refused
    decide(case, actor=actor, status=MinorCase.Status.CONFIRMED)
    from privacy.tasks import execute_erasure as execute_erasure_task

    plan_id = case.erasure.pk
    transaction.on_commit(lambda: execute_erasure_task.delay(plan_id))


def dismiss(case: MinorCase, *, actor: User) -> None:
    """Not a minor after all: the account comes back and the planned erasure is dropped."""
    if case.status not in (MinorCase.Status.REPORTED, MinorCase.Status.SUSPENDED):
        raise MinorCaseRefused(_("This case has already been decided."))
    with transaction.atomic():
        if case.status == MinorCase.Status.SUSPENDED and case.user is not None:
            User.objects.filter(pk=case.user.pk).update(is_active=True, processing_restricted=False)
        plan = case.erasure
        decide(case, actor=actor, status=MinorCase.Status.DISMISSED)
        if plan is not None and plan.status == ErasurePlan.Status.PLANNED:
            plan.delete()


def decide(case: MinorCase, *, actor: User, status: str) -> None:
    case.status = status
    case.decided_by = actor
    case.decided_at = timezone.now()
    case.save(update_fields=["status", "decided_by", "decided_at"])
