"""Erasure and retention, driven by the data inventory."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import models
from django.utils import timezone

from accounts import support
from accounts.models import ApiToken, Preferences, User
from billing import ledger
from billing.models import (
    BillingProfile,
    LedgerEntry,
    RedemptionCode,
    TopUpOrder,
    WebhookEvent,
)
from gateway.models import ContentLog, UsageLog
from privacy import dsar, erasure
from privacy.consent import record_consent
from privacy.erasure import erase_user_data
from privacy.exports import build_archive
from privacy.inventory import Erasure, our_models, personal_fields, rows_of
from privacy.models import (
    DataSubjectRequest,
    ErasurePlan,
    LegalHold,
    PageView,
    RetentionPolicy,
    SuppressionEntry,
)
from privacy.retention import run_retention

pytestmark = pytest.mark.django_db
EMAIL = "sentinel-7c1@example.com"
SENTINELS = (
    EMAIL,
    "Sentinel Person",
    "Sentinel bio",
    "1 Sentinel Road",
    "sentinel prompt",
    "Sentinel question",
)


def seed_everything(make_user: Callable) -> User:
    """One person with rows in every model of every app."""
    user = make_user(EMAIL)
    User.objects.filter(pk=user.pk).update(display_name="Sentinel Person", bio="Sentinel bio")
    user.refresh_from_db()
    Preferences.objects.update_or_create(user=user, defaults={"default_model": "m"})
    ApiToken.objects.issue(user=user, name="Sentinel key", allowed_ips=["203.0.113.0/24"])
    BillingProfile.objects.create(user=user, name="Sentinel Person", address="1 Sentinel Road")
    order = TopUpOrder.objects.create(
        user=user, provider="stripe", credit_amount=10**10, currency="USD", charged_amount=10
    )
    WebhookEvent.objects.create(provider="stripe", event_id="evt_1", order=order)
    ledger.credit_paid_order(order_id=str(order.pk))
    RedemptionCode.objects.create(code="SENTINEL", amount=10**9, batch="b")
    ledger.redeem_code(user_id=user.pk, code="SENTINEL")
    ledger.reserve(user_id=user.pk, amount=10**8, request_id="req_1")
    ledger.settle(request_id="req_1", cost=5 * 10**7)
    UsageLog.objects.create(
        request_id="req_1",
        user=user,
        endpoint="chat",
        model="m",
        status_code=200,
        latency_ms=5,
        client_ip="203.0.113.9",
    )
    ContentLog.sealed(
        request_id="req_1", user_id=user.pk, prompt="sentinel prompt", response="r"
    ).save()
    record_consent(purpose="analytics_cookies", granted=True, method="banner", user=user)
    dsar.submit_request(
        kind="access", regime="gdpr", details="Sentinel bio", language="en", user=user
    )
    LegalHold.objects.create(user=user, reason="old case", released_at=timezone.now())
    ticket = support.open_ticket(
        user=user, subject="Sentinel question", category="other", body="Sentinel question"
    )
    support.add_user_reply(ticket, body="Sentinel question again")
    support.give_feedback(user=user, message="Sentinel question", rating=3)
    PageView.objects.create(page="home", day=timezone.now().date(), language="en", user=user)
    return user


def sentinel_places() -> set[str]:
    """Every `model.field` whose stored text still contains a sentinel value."""
    found = set()
    for model in our_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField):
                continue
            for sentinel in SENTINELS:
                if model._default_manager.filter(**{f"{field.name}__icontains": sentinel}).exists():
                    found.add(f"{model._meta.label}.{field.name}")
    return found


def retained_fields() -> set[str]:
    return {
        f"{model._meta.label}.{name}"
        for model in our_models()
        for name, item in personal_fields(model).items()
        if item.erasure == Erasure.RETAIN
    }


def test_the_sentinel_is_exported_erased_and_erasing_again_changes_nothing(
    make_user: Callable, make_key: Callable
):
    user = seed_everything(make_user)
    staff, officer = make_user(staff=True), make_user(staff=True)

    dsar.fulfil_export(DataSubjectRequest.objects.get(user=user))
    archive = zipfile.ZipFile(io.BytesIO(build_archive(user, language="en")))
    exported = "".join(archive.read(name).decode() for name in archive.namelist())
    for sentinel in SENTINELS:
        assert sentinel in exported
    sections = [
        json.loads(archive.read(name)) for name in archive.namelist() if name.endswith(".json")
    ]
    for model in our_models():
        expected = {name for name, item in personal_fields(model).items() if item.export}
        if not expected or not rows_of(model, user.pk).exists():
            continue
        present = {
            field
            for section in sections
            for row in section.get(model._meta.label, [])
            for field in row
        }
        assert expected <= present, model._meta.label
    entries_before = LedgerEntry.objects.filter(wallet_id=user.pk).count()

    plan = erasure.plan_erasure(user, planned_by=staff)
    assert plan.plan["accounts.ApiToken"]["action"] == "delete rows"
    assert plan.plan["billing.LedgerEntry"]["action"] == "update rows"
    erasure.approve_erasure(plan, approver=officer)
    receipt = erasure.execute_erasure(plan)

    assert sentinel_places() <= retained_fields()
    assert not ContentLog.objects.exists()
    assert not ApiToken.objects.filter(user_id=user.pk).exists()
    user.refresh_from_db()
    assert user.email.endswith("@erased.invalid") and not user.is_active
    assert not user.has_usable_password()
    assert UsageLog.objects.get().user_id is None
    # Payment records stay, and the books still balance.
    assert LedgerEntry.objects.filter(wallet_id=user.pk).count() == entries_before
    assert ledger.find_mismatches() == []
    assert TopUpOrder.objects.filter(user_id=user.pk).count() == 1
    assert SuppressionEntry.objects.filter(identifier_hash=erasure.suppression_hash(EMAIL)).exists()
    assert mail.outbox[-1].to == [EMAIL]
    assert receipt["rows"]["gateway.ContentLog"] == 1
    assert "payment provider: stripe" in receipt["notify_processors"]

    again = erasure.execute_erasure(plan)
    assert again == receipt
    assert sentinel_places() <= retained_fields()


def test_an_erasure_needs_a_second_person(make_user: Callable):
    user, staff = make_user(), make_user(staff=True)
    plan = erasure.plan_erasure(user, planned_by=staff)

    with pytest.raises(erasure.ErasureRefused, match="someone other"):
        erasure.approve_erasure(plan, approver=staff)
    with pytest.raises(erasure.ErasureRefused, match="approved"):
        erasure.execute_erasure(plan)
    assert User.objects.get(pk=user.pk).is_active


def test_a_legal_hold_stops_an_erasure(make_user: Callable):
    user, staff, officer = make_user(), make_user(staff=True), make_user(staff=True)
    LegalHold.objects.create(user=user, reason="court order")
    plan = erasure.plan_erasure(user, planned_by=staff)
    erasure.approve_erasure(plan, approver=officer)

    with pytest.raises(erasure.ErasureRefused, match="legal hold"):
        erasure.execute_erasure(plan)
    assert User.objects.get(pk=user.pk).email == user.email


def test_an_erasure_request_from_the_console_is_planned_for_approval(client, user: User):
    client.force_login(user)

    client.post("/privacy/requests/", {"regime": "gdpr", "kind": "erasure"})

    plan = ErasurePlan.objects.get(user=user)
    assert plan.status == ErasurePlan.Status.PLANNED
    assert plan.request == DataSubjectRequest.objects.get()
    assert User.objects.get(pk=user.pk).is_active  # Nothing happens before approval.


def test_replaying_erasures_after_a_restore_erases_the_restored_account(make_user: Callable):
    user, staff, officer = make_user(EMAIL), make_user(staff=True), make_user(staff=True)
    plan = erasure.plan_erasure(user, planned_by=staff)
    erasure.approve_erasure(plan, approver=officer)
    erasure.execute_erasure(plan)
    restored = make_user(EMAIL.upper())  # As if a backup brought the account back.

    out = io.StringIO()
    call_command("replay_erasures", stdout=out)

    restored.refresh_from_db()
    assert restored.email.endswith("@erased.invalid")
    assert "Erased 1" in out.getvalue()


def make_log(user: User, request_id: str, *, days_ago: float) -> UsageLog:
    return UsageLog.objects.create(
        request_id=request_id,
        user=user,
        endpoint="chat",
        model="m",
        status_code=200,
        latency_ms=1,
        created_at=timezone.now() - timedelta(days=days_ago),
    )


def test_retention_keeps_what_is_inside_its_period_and_removes_what_is_past(
    make_user: Callable,
):
    user = make_user()
    make_log(user, "inside", days_ago=89.9)
    make_log(user, "outside", days_ago=90.1)

    run = run_retention()

    assert list(UsageLog.objects.values_list("request_id", flat=True)) == ["inside"]
    assert run.counts["usage_logs"] == 1 and run.finished_at is not None


def test_retention_skips_people_under_a_legal_hold(make_user: Callable):
    held, free = make_user(), make_user()
    LegalHold.objects.create(user=held, reason="investigation")
    make_log(held, "held", days_ago=200)
    make_log(free, "free", days_ago=200)

    run_retention()

    assert list(UsageLog.objects.values_list("request_id", flat=True)) == ["held"]


def test_a_second_run_finishes_what_an_interrupted_one_left(make_user: Callable, monkeypatch):
    user = make_user()
    for number in range(5):
        make_log(user, f"old-{number}", days_ago=100)
    monkeypatch.setattr("privacy.retention.BATCH_SIZE", 2)

    run_retention()
    assert not UsageLog.objects.exists()
    assert run_retention().counts["usage_logs"] == 0


def test_accounts_closed_longer_than_a_year_are_erased(make_user: Callable):
    old, recent = make_user("old@example.com"), make_user("recent@example.com")
    User.objects.filter(pk=old.pk).update(closed_at=timezone.now() - timedelta(days=366))
    User.objects.filter(pk=recent.pk).update(closed_at=timezone.now() - timedelta(days=364))

    run_retention()

    assert User.objects.get(pk=old.pk).email.endswith("@erased.invalid")
    assert User.objects.get(pk=recent.pk).email == "recent@example.com"
    assert run_retention().counts["account"] == 0


def test_payment_records_of_an_erased_account_go_after_seven_years(make_user: Callable):
    user = seed_everything(make_user)
    erase_user_data(user)
    seven_years = RetentionPolicy.objects.get(key="payment_records").days
    User.objects.filter(pk=user.pk).update(
        closed_at=timezone.now() - timedelta(days=seven_years + 1)
    )
    other = make_user()
    ledger.adjust_balance(
        user_id=other.pk, amount=10**9, reason="r", actor_id=None, idempotency_key="o"
    )

    assert run_retention().counts["payment_records"] == 1

    assert not LedgerEntry.objects.filter(wallet_id=user.pk).exists()
    assert not TopUpOrder.objects.filter(user_id=user.pk).exists()
    assert LedgerEntry.objects.filter(wallet_id=other.pk).count() == 1
    assert ledger.find_mismatches() == []
