"""Fault rows for Celery jobs: a worker killed mid-purge or mid-erasure (simulated by an
exception at an internal boundary) leaves nothing lost, and the re-run finishes without
doing anything twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from gateway.models import UsageLog
from privacy import erasure, tasks
from privacy.models import ErasurePlan, SuppressionEntry
from tests.privacy.test_erasure import EMAIL, retained_fields, seed_everything, sentinel_places

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """Stands for SIGKILL: not an Exception, so nothing in the task can catch it."""


def make_log(user: User, request_id: str, *, days_ago: int) -> None:
    log = UsageLog.objects.create(
        request_id=request_id, user=user, endpoint="chat", model="m", status_code=200, latency_ms=1
    )
    UsageLog.objects.filter(pk=log.pk).update(created_at=timezone.now() - timedelta(days_ago))


def test_a_worker_killed_mid_purge_loses_nothing_and_the_rerun_finishes_once(
    make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
):
    user = make_user()
    for number in range(7):
        make_log(user, f"old-{number}", days_ago=100)
    make_log(user, "recent", days_ago=10)
    monkeypatch.setattr("privacy.retention.BATCH_SIZE", 2)
    real_delete, deletes = QuerySet.delete, []

    def killed_on_the_third_batch(queryset: QuerySet[Any]) -> Any:
        deletes.append(1)
        if len(deletes) == 3:
            raise WorkerKilled
        return real_delete(queryset)

    monkeypatch.setattr(QuerySet, "delete", killed_on_the_third_batch)
    with pytest.raises(WorkerKilled):
        tasks.run_retention.delay()
    monkeypatch.setattr(QuerySet, "delete", real_delete)
    assert UsageLog.objects.filter(request_id__startswith="old").count() == 3

    counts = tasks.run_retention.delay().get()

    assert counts["usage_logs"] == 3  # only what the killed run had not deleted
    assert list(UsageLog.objects.values_list("request_id", flat=True)) == ["recent"]


def test_a_worker_killed_mid_erasure_leaves_the_person_whole_and_the_rerun_erases_once(
    make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
):
    user = seed_everything(make_user)
    planner, approver = make_user(staff=True), make_user(staff=True)
    plan = erasure.plan_erasure(user, planned_by=planner)
    erasure.approve_erasure(plan, approver=approver)
    real_leftovers = erasure.leftovers

    def killed(*args: Any) -> Any:  # after every row was scrubbed, before the plan is recorded
        raise WorkerKilled

    monkeypatch.setattr(erasure, "leftovers", killed)
    with pytest.raises(WorkerKilled):
        tasks.execute_erasure.delay(plan.pk)
    assert User.objects.get(pk=user.pk).email == EMAIL
    assert ErasurePlan.objects.get(pk=plan.pk).status == ErasurePlan.Status.APPROVED
    assert mail.outbox == []

    monkeypatch.setattr(erasure, "leftovers", real_leftovers)
    tasks.execute_erasure.delay(plan.pk)
    tasks.execute_erasure.delay(plan.pk)  # a duplicate delivery of the task

    assert ErasurePlan.objects.get(pk=plan.pk).status == ErasurePlan.Status.EXECUTED
    assert sentinel_places() <= retained_fields()
    assert SuppressionEntry.objects.filter(identifier_hash=erasure.suppression_hash(EMAIL)).exists()
    assert [message.to for message in mail.outbox] == [[EMAIL]]  # one receipt, to the person
