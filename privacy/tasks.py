from __future__ import annotations

from celery import shared_task

from privacy import breaches, dsar, erasure, policies, retention
from privacy.models import BreachIncident, DataSubjectRequest, ErasurePlan


@shared_task
def acknowledge_request(request_id: str) -> None:
    dsar.acknowledge(DataSubjectRequest.objects.get(pk=request_id))


@shared_task
def fulfil_export(request_id: str) -> None:
    dsar.fulfil_export(DataSubjectRequest.objects.select_related("user").get(pk=request_id))


@shared_task
def run_retention() -> dict[str, int]:
    return retention.run_retention().counts


@shared_task
def execute_erasure(plan_id: int) -> None:
    erasure.execute_erasure(ErasurePlan.objects.select_related("user").get(pk=plan_id))


@shared_task
def send_deadline_reminders() -> dict[str, int]:
    return dsar.send_deadline_reminders()


@shared_task
def send_breach_notifications(incident_id: int) -> int:
    """Send a batch; the next batch is a new task, so a large breach never blocks a worker."""
    remaining = breaches.send_notifications(BreachIncident.objects.get(pk=incident_id))
    if remaining:
        send_breach_notifications.delay(incident_id)
    return remaining


@shared_task
def send_policy_notices(kind: str, version: int) -> int:
    """Send a batch of policy-change emails; the next batch is a new task."""
    remaining = policies.send_notices(kind, version)
    if remaining:
        send_policy_notices.delay(kind, version)
    return remaining
