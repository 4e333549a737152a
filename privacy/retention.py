"""The nightly retention job: each kind of data goes when its policy's period is over.

Runs in batches, skips people under a legal hold, and can be killed and run again: every step
selects what is still past its date, so a second run finishes what the first did not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import models, transaction
from django.utils import timezone

from accounts.models import Feedback, SupportTicket, User
from billing.models import (
    Hold,
    Invoice,
    LedgerEntry,
    RedemptionCode,
    TopUpOrder,
    Wallet,
    WebhookEvent,
)
from gateway.models import ContentLog, UsageLog
from privacy.erasure import erase_user_data
from privacy.models import (
    AccessEvent,
    BreachIncident,
    BreachNotification,
    DataExport,
    DataSubjectRequest,
    ErasurePlan,
    LegalHold,
    PageView,
    RetentionPolicy,
    RetentionRun,
)

BATCH_SIZE = 1000


def cutoff(key: str, now: datetime) -> datetime:
    return now - timedelta(days=RetentionPolicy.objects.get(key=key).days)


def held_users() -> list[int]:
    return list(LegalHold.objects.active().values_list("user_id", flat=True))


def delete_in_batches(queryset: models.QuerySet[models.Model]) -> int:
    deleted = 0
    while True:
        batch = list(queryset.values_list("pk", flat=True)[:BATCH_SIZE])
        if not batch:
            return deleted
        count, _by_model = queryset.model._default_manager.filter(pk__in=batch).delete()
        deleted += len(batch) if count else 0


def purge_usage_logs(now: datetime) -> int:
    old = UsageLog.objects.filter(created_at__lt=cutoff("usage_logs", now))
    return delete_in_batches(old.exclude(user_id__in=held_users()))


def purge_content_logs(now: datetime) -> int:
    old = ContentLog.objects.filter(created_at__lt=cutoff("content_logs", now))
    return delete_in_batches(old.exclude(user_id__in=held_users()))


def purge_data_exports(now: datetime) -> int:
    expired = DataExport.objects.filter(expires_at__lt=now)
    for export in expired[:BATCH_SIZE]:
        export.archive.delete(save=False)
    return delete_in_batches(expired)


def purge_privacy_requests(now: datetime) -> int:
    answered = [DataSubjectRequest.Status.FULFILLED, DataSubjectRequest.Status.DENIED]
    answered.append(DataSubjectRequest.Status.CLOSED)
    old = DataSubjectRequest.objects.filter(
        status__in=answered, received_at__lt=cutoff("privacy_requests", now)
    )
    return delete_in_batches(old.exclude(user_id__in=held_users()).exclude(erasure__isnull=False))


def erase_closed_accounts(now: datetime) -> int:
    """Accounts closed longer ago than the account-data period are erased (not deleted)."""
    closed = User.objects.filter(closed_at__lt=cutoff("account", now), is_superuser=False)
    due = closed.exclude(pk__in=held_users()).exclude(email__endswith="@erased.invalid")
    erased = 0
    for user in due[:BATCH_SIZE]:
        # Erased and recorded together: a killed run cannot leave an erasure without its record.
        with transaction.atomic():
            erase_user_data(user)
            ErasurePlan.objects.create(
                user=user,
                status=ErasurePlan.Status.EXECUTED,
                executed_at=now,
                plan={"reason": "retention: account closed"},
            )
        erased += 1
    return erased


def purge_payment_records(now: datetime) -> int:
    """Seven years after closure, the payment records of an erased account go too."""
    closed = User.objects.filter(
        closed_at__lt=cutoff("payment_records", now), email__endswith="@erased.invalid"
    ).exclude(pk__in=held_users())
    purged = 0
    for user_id in closed.filter(wallet__isnull=False).values_list("pk", flat=True)[:BATCH_SIZE]:
        with transaction.atomic():
            # The whole ledger of the wallet goes with it, so the books of the rest still add up.
            Invoice.objects.filter(order__user_id=user_id).delete()
            WebhookEvent.objects.filter(order__user_id=user_id).delete()
            LedgerEntry.objects.filter(wallet_id=user_id).delete()
            Hold.objects.filter(wallet_id=user_id).delete()
            TopUpOrder.objects.filter(user_id=user_id).delete()
            RedemptionCode.objects.filter(redeemed_by_id=user_id).update(redeemed_by=None)
            Wallet.objects.filter(pk=user_id).delete()
        purged += 1
    return purged


def purge_access_events(now: datetime) -> int:
    old = AccessEvent.objects.filter(created_at__lt=cutoff("access_audit", now))
    return delete_in_batches(old.exclude(subjects__in=held_users()))


def purge_breach_records(now: datetime) -> int:
    old = BreachIncident.objects.filter(became_aware_at__lt=cutoff("breach_records", now))
    delete_in_batches(BreachNotification.objects.filter(incident__in=old))
    return delete_in_batches(old)


def purge_support(now: datetime) -> int:
    """Tickets three years after their last message (with their thread), and old feedback."""
    limit = cutoff("support", now)
    tickets = SupportTicket.objects.filter(updated_at__lt=limit).exclude(user_id__in=held_users())
    feedback = Feedback.objects.filter(created_at__lt=limit).exclude(user_id__in=held_users())
    return delete_in_batches(tickets) + delete_in_batches(feedback)


def purge_page_views(now: datetime) -> int:
    old = PageView.objects.filter(created_at__lt=cutoff("analytics", now))
    return delete_in_batches(old.exclude(user_id__in=held_users()))


STEPS: dict[str, Callable[[datetime], int]] = {
    "usage_logs": purge_usage_logs,
    "content_logs": purge_content_logs,
    "data_exports": purge_data_exports,
    "privacy_requests": purge_privacy_requests,
    "account": erase_closed_accounts,
    "payment_records": purge_payment_records,
    "access_audit": purge_access_events,
    "breach_records": purge_breach_records,
    "support": purge_support,
    "analytics": purge_page_views,
}


def run_retention(*, now: datetime | None = None) -> RetentionRun:
    now = now or timezone.now()
    run = RetentionRun.objects.create(started_at=now)
    for key, step in STEPS.items():
        run.counts[key] = step(now)
        run.save(update_fields=["counts"])
    run.finished_at = timezone.now()
    run.save(update_fields=["finished_at"])
    return run
