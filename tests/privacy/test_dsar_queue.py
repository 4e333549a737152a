"""The DSAR queue in admin: the workflow buttons, the clocks, reminders and CCPA metrics."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from accounts.models import Preferences, User
from billing.models import TopUpOrder
from privacy import dsar
from privacy.models import (
    AccessEvent,
    DataExport,
    DataSubjectRequest,
    DsarEvent,
    ErasurePlan,
    ProcessorTask,
)
from privacy.tasks import send_deadline_reminders

pytestmark = pytest.mark.django_db
QUEUE = "/admin/privacy/datasubjectrequest/"


def officer(make_user: Callable, email: str) -> tuple[Client, User]:
    member = make_user(email, staff=True)
    member.groups.add(Group.objects.get(name="Privacy Officer"))
    client = Client()
    client.force_login(member)
    return client, member


def step(client: Client, dsr: DataSubjectRequest, name: str, **data: object) -> str:
    response = client.post(f"{QUEUE}{dsr.pk}/step/{name}/", data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def public_request(email: str, kind: str, *, regime: str = "gdpr", language: str = "fr"):
    return dsar.submit_request(kind=kind, regime=regime, details="", language=language, email=email)


def test_an_access_request_walks_from_receipt_to_closing_in_admin(
    make_user: Callable, django_capture_on_commit_callbacks: Callable
):
    person = make_user("person@example.com")
    client, member = officer(make_user, "officer@example.com")
    dsr = public_request(person.email, "access")

    queue = client.get(QUEUE).content.decode()
    assert "pe***@example.com" in queue and "person@example.com" not in queue
    page = client.get(f"{QUEUE}{dsr.pk}/change/").content.decode()
    assert f"{QUEUE}{dsr.pk}/step/verify/" in page

    step(client, dsr, "acknowledge")
    step(client, dsr, "verify", evidence="Answered from the account's address; last top-up")
    with django_capture_on_commit_callbacks(execute=True):
        step(client, dsr, "export")
    step(client, dsr, "close", note="")
    timeline = client.get(f"{QUEUE}{dsr.pk}/change/").content.decode()
    assert "identity verified" in timeline and "Answered from the account" in timeline

    assert "This request is closed." in step(client, dsr, "deny", reason="Too late")
    dsr.refresh_from_db()
    assert dsr.user == person and dsr.status == "closed"
    assert dsr.identity_evidence.startswith("Answered from")
    assert DataExport.objects.filter(request=dsr, user=person).exists()
    kinds = list(dsr.events.values_list("kind", flat=True))
    assert kinds == [
        "received",
        "acknowledged",
        "identity_verified",
        "export_ready",
        "fulfilled",
        "closed",
    ]
    assert all(
        e.actor == member
        for e in dsr.events.exclude(kind__in=["received", "export_ready", "fulfilled"])
    )
    assert [m.to for m in mail.outbox] == [[person.email]] * 3
    with translation.override("fr"):
        assert mail.outbox[0].subject == translation.gettext(
            "[Tokengate] We received your privacy request"
        )
        assert mail.outbox[2].subject == translation.gettext(
            "[Tokengate] Your privacy request is closed"
        )
    assert mail.outbox[0].subject != "[Tokengate] We received your privacy request"
    steps = AccessEvent.objects.filter(model="privacy.DataSubjectRequest", action="change")
    assert list(steps.order_by("id").values_list("detail", flat=True)) == [
        "acknowledge",
        "verify",
        "export",
        "close",
    ]


def test_an_erasure_needs_two_different_officers(
    make_user: Callable, django_capture_on_commit_callbacks: Callable
):
    person = make_user("erase.me@example.com")
    TopUpOrder.objects.create(
        user=person, provider="stripe", credit_amount=10**9, currency="USD", charged_amount=1
    )
    first, planner = officer(make_user, "first@example.com")
    second, approver = officer(make_user, "second@example.com")
    dsr = public_request(person.email, "erasure", language="en")
    step(first, dsr, "verify", evidence="Signed reply from the account's address")

    step(first, dsr, "plan_erasure")
    refused = step(first, dsr, "approve_erasure")
    assert "someone other than the planner" in refused
    assert ErasurePlan.objects.get(request=dsr).status == "planned"
    step(second, dsr, "approve_erasure")
    with django_capture_on_commit_callbacks(execute=True):
        step(first, dsr, "execute_erasure")

    plan = ErasurePlan.objects.get(request=dsr)
    assert (plan.status, plan.planned_by, plan.approved_by) == ("executed", planner, approver)
    person.refresh_from_db()
    assert not person.is_active and person.email.endswith("@erased.invalid")
    dsr.refresh_from_db()
    assert dsr.status == "fulfilled"
    assert "erasure_executed" in dsr.events.values_list("kind", flat=True)
    assert mail.outbox[-1].to == ["erase.me@example.com"]
    task = ProcessorTask.objects.get(erasure=plan)
    assert task.processor == "payment provider: stripe" and task.done_at is None

    first.post(
        "/admin/privacy/processortask/", {"action": "mark_done", "_selected_action": [task.pk]}
    )
    task.refresh_from_db()
    assert task.done_at is not None and task.done_by == planner


def test_asking_for_information_stops_the_gdpr_clock_but_not_the_ccpa_one(make_user: Callable):
    client, _member = officer(make_user, "officer@example.com")
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False) as traveller:
        gdpr = public_request("eu@example.com", "access", language="en")
        ccpa = public_request("ca@example.com", "access", regime="ccpa", language="en")
        first_due = {gdpr.pk: gdpr.due_at, ccpa.pk: ccpa.due_at}
        traveller.shift(timedelta(days=5))
        for dsr in (gdpr, ccpa):
            step(client, dsr, "request_information", message="Which account do you mean?")
        traveller.shift(timedelta(days=10))
        for dsr in (gdpr, ccpa):
            step(client, dsr, "information_received", note="Replied")

    gdpr.refresh_from_db()
    ccpa.refresh_from_db()
    assert gdpr.due_at == first_due[gdpr.pk] + timedelta(days=10)
    assert ccpa.due_at == first_due[ccpa.pk]
    assert (
        mail.outbox[-1].subject == "[Tokengate] We need more information for your privacy request"
    )
    assert "Which account do you mean?" in str(mail.outbox[-1].body)


def test_an_extension_needs_a_reason_is_emailed_and_is_taken_once(make_user: Callable):
    client, _member = officer(make_user, "officer@example.com")
    dsr = public_request("slow@example.com", "access", language="en")
    first_due = dsr.due_at

    client.post(f"{QUEUE}{dsr.pk}/step/extend/", {"reason": ""})
    dsr.refresh_from_db()
    assert not dsr.extended
    step(client, dsr, "extend", reason="Several linked accounts to search")
    again = step(client, dsr, "extend", reason="Still searching")

    dsr.refresh_from_db()
    assert dsr.extended and dsr.due_at > first_due + timedelta(days=55)
    assert "cannot be extended" in again
    assert len(mail.outbox) == 1
    assert "Several linked accounts to search" in str(mail.outbox[0].body)


def test_a_denial_gives_the_reason_and_the_right_to_complain(make_user: Callable):
    client, _member = officer(make_user, "officer@example.com")
    dsr = public_request("no@example.com", "erasure", language="en")

    step(client, dsr, "deny", reason="We could not verify that the address is yours.")

    dsr.refresh_from_db()
    assert dsr.status == "denied"
    body = str(mail.outbox[-1].body)
    assert "We could not verify that the address is yours." in body
    assert "lodge a complaint" in body


def test_rectifying_changes_the_profile_and_records_only_field_names(make_user: Callable):
    person = make_user("typo@example.com")
    client, _member = officer(make_user, "officer@example.com")
    dsr = public_request(person.email, "rectification", language="en")
    step(client, dsr, "verify", evidence="Reply from the address")

    step(client, dsr, "rectify", display_name="Ada Lovelace", email="fixed@example.com")

    person.refresh_from_db()
    assert (person.display_name, person.email) == ("Ada Lovelace", "fixed@example.com")
    event = dsr.events.get(kind="rectified")
    assert event.note == "display_name, email"


def test_the_queue_orders_by_deadline_and_filters_overdue_and_due_soon(make_user: Callable):
    client, _member = officer(make_user, "officer@example.com")
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=40), tick=False):
        overdue = public_request("late@example.com", "access", language="en")
    with time_machine.travel(now - timedelta(days=26), tick=False):
        soon = public_request("soon@example.com", "access", language="en")
    fresh = public_request("fresh@example.com", "access", language="en")

    listed = client.get(QUEUE).context["cl"].result_list
    assert list(listed) == [overdue, soon, fresh]
    page = client.get(QUEUE).content.decode()
    assert "<strong>overdue</strong>" in page and "<strong>due soon</strong>" in page
    assert list(client.get(f"{QUEUE}?due=overdue").context["cl"].result_list) == [overdue]
    assert list(client.get(f"{QUEUE}?due=due_soon").context["cl"].result_list) == [soon]


def test_assignees_are_reminded_and_officers_get_overdue_requests(make_user: Callable):
    client, assignee = officer(make_user, "assignee@example.com")
    _other_client, other = officer(make_user, "other.officer@example.com")
    Preferences.objects.for_user(other)
    Preferences.objects.filter(user=other).update(language="ja")
    start = datetime(2026, 5, 4, 8, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        dsr = public_request("waiting@example.com", "access", language="en")
        step(client, dsr, "assign", assignee=assignee.pk)
        traveller.move_to(dsr.due_at - timedelta(days=10))
        assert send_deadline_reminders.delay().get() == {"due_soon": 0, "escalations": 0}

        traveller.move_to(dsr.due_at - timedelta(days=5))
        mail.outbox.clear()
        assert send_deadline_reminders.delay().get() == {"due_soon": 1, "escalations": 0}
        assert [m.to for m in mail.outbox] == [[assignee.email]]
        assert f"/admin/privacy/datasubjectrequest/{dsr.pk}/change/" in str(mail.outbox[0].body)

        traveller.move_to(dsr.due_at + timedelta(days=1))
        mail.outbox.clear()
        assert send_deadline_reminders.delay().get() == {"due_soon": 0, "escalations": 2}
    assert sorted(m.to[0] for m in mail.outbox) == [assignee.email, other.email]
    to_other = next(m for m in mail.outbox if m.to == [other.email])
    with translation.override("ja"):
        assert to_other.subject == translation.gettext("[Tokengate] Privacy requests are overdue")
    assert to_other.subject != "[Tokengate] Privacy requests are overdue"


def seed_ccpa_requests() -> None:
    """Hand-counted: 2025 has 3 requests to know, 2 to delete, 1 to correct (and noise)."""

    def seed(kind: str, received: datetime, answer: str | None, days: int, regime="ccpa"):
        dsr = DataSubjectRequest.objects.create(
            email="c@example.com", regime=regime, kind=kind, language="en", received_at=received
        )
        if answer:
            DsarEvent.objects.create(
                request=dsr, kind=answer, created_at=received + timedelta(days=days, hours=1)
            )

    jan = datetime(2025, 1, 10, 12, tzinfo=UTC)
    seed("access", jan, "fulfilled", 10)
    seed("portability", jan, "fulfilled", 20)
    seed("access", jan, "denied", 45)
    seed("erasure", jan, "fulfilled", 5)
    seed("erasure", jan, None, 0)  # still open: received, not answered
    seed("rectification", jan, "denied", 3)
    seed("access", jan, "fulfilled", 1, regime="gdpr")  # not a CCPA request
    seed("access", datetime(2024, 12, 31, 12, tzinfo=UTC), "fulfilled", 2)  # other year


def test_ccpa_metrics_match_the_hand_count_on_the_page_and_in_csv(make_user: Callable):
    seed_ccpa_requests()
    client, _member = officer(make_user, "officer@example.com")

    page = client.get(f"{QUEUE}ccpa-metrics/?year=2025")
    rows = {row.request_type: row for row in page.context["rows"]}
    download = client.get(f"{QUEUE}ccpa-metrics/?year=2025&format=csv")

    know, delete, correct = rows["know"], rows["delete"], rows["correct"]
    assert (know.received, know.complied, know.denied) == (3, 2, 1)
    assert (know.median_days, know.mean_days) == (20, 25.0)
    assert (delete.received, delete.complied, delete.denied) == (2, 1, 0)
    assert (delete.median_days, delete.mean_days) == (5, 5.0)
    assert (correct.received, correct.complied, correct.denied) == (1, 0, 1)
    assert rows["opt_out"].received == 0 and rows["opt_out"].median_days is None
    lines = list(csv.reader(io.StringIO(download.content.decode())))
    assert lines[0][:3] == ["Year", "Request type", "Received"]
    assert lines[1] == ["2025", "requests to know", "3", "2", "1", "20.0", "25.0"]


def test_other_roles_cannot_work_the_queue(make_user: Callable):
    support = make_user(staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    client = Client()
    client.force_login(support)
    dsr = public_request("x@example.com", "access", language="en")

    assert client.get(QUEUE).status_code == 403
    assert client.post(f"{QUEUE}{dsr.pk}/step/close/", {}).status_code == 403
    assert client.get(f"{QUEUE}ccpa-metrics/").status_code == 403
    dsr.refresh_from_db()
    assert dsr.status == "received"


def test_requests_are_assigned_to_privacy_officers_only(make_user: Callable):
    client, member = officer(make_user, "officer@example.com")
    support = make_user("support@example.com", staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    dsr = public_request("x@example.com", "access", language="en")

    step(client, dsr, "assign", assignee=support.pk)
    dsr.refresh_from_db()
    assert dsr.assignee is None
    step(client, dsr, "assign", assignee=member.pk)
    dsr.refresh_from_db()
    assert dsr.assignee == member
    assert dsr.events.get(kind="assigned").note == member.email
