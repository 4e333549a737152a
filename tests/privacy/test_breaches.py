"""The breach register: who is affected, the 72-hour clocks, and the notifications."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import translation

from accounts.models import Preferences, User
from billing.models import BillingProfile
from privacy import breaches
from privacy.models import BreachIncident, BreachNotification
from privacy.tasks import run_retention

pytestmark = pytest.mark.django_db
REGISTER = "/admin/privacy/breachincident/"
AWARE = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def officer(make_user: Callable) -> tuple[Client, User]:
    member = make_user("officer@example.com", staff=True)
    member.groups.add(Group.objects.get(name="Privacy Officer"))
    client = Client()
    client.force_login(member)
    return client, member


def record(client: Client, categories: list[str], *, risk: str = "high") -> BreachIncident:
    response = client.post(
        f"{REGISTER}add/",
        {
            "became_aware_at_0": "2026-06-01",
            "became_aware_at_1": "10:00:00",
            "description": "A backup of billing profiles was readable by anyone with its link.",
            "data_categories": categories,
            "risk": risk,
            "containment": "The link was revoked within an hour; no downloads were found.",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return BreachIncident.objects.latest("pk")


def test_the_people_affected_are_counted_from_the_inventory(
    officer: tuple[Client, User], make_user: Callable
):
    client, member = officer
    payer = make_user("payer@example.com")
    make_user("other@example.com")
    BillingProfile.objects.create(user=payer, name="Payer Ltd")

    billing = record(client, ["billing"])
    contact = record(client, ["contact"])

    assert (billing.people_affected, billing.created_by) == (1, member)
    assert contact.people_affected == User.objects.count()
    assert breaches.affected_users(["billing"]) == [payer.pk]


def test_the_authority_is_due_72_hours_after_awareness_and_lateness_needs_reasons(
    officer: tuple[Client, User],
):
    client, _member = officer
    on_time = record(client, ["contact"])
    late = record(client, ["contact"])
    assert breaches.authority_due(on_time) == AWARE + timedelta(hours=72)

    with time_machine.travel(AWARE + timedelta(hours=71), tick=False):
        client.post(f"{REGISTER}{on_time.pk}/notify-authority/", {"reference": "DPA-1"})
    with time_machine.travel(AWARE + timedelta(hours=73), tick=False):
        refused = client.post(f"{REGISTER}{late.pk}/notify-authority/", {"reference": "DPA-2"})
        assert "72 hours are over" in refused.content.decode()
        late.refresh_from_db()
        assert late.authority_notified_at is None
        client.post(
            f"{REGISTER}{late.pk}/notify-authority/",
            {"reference": "DPA-2", "late_reason": "The scope took four days to establish."},
        )
        listing = client.get(REGISTER).content.decode()

    on_time.refresh_from_db()
    late.refresh_from_db()
    assert on_time.authority_reference == "DPA-1" and on_time.late_reason == ""
    assert late.late_reason == "The scope took four days to establish."
    assert "<strong>done</strong>" in listing and "<strong>done late</strong>" in listing
    again = client.post(f"{REGISTER}{late.pk}/notify-authority/", {"reference": "DPA-3"})
    assert "already been notified" in again.content.decode()


def test_people_are_notified_once_each_in_their_language_in_batches(
    officer: tuple[Client, User],
    make_user: Callable,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable,
):
    client, _member = officer
    people = [make_user(f"person{n}@example.com") for n in range(3)]
    Preferences.objects.for_user(people[0])
    Preferences.objects.filter(user=people[0]).update(language="fr")
    gone = make_user("gone@example.com")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    for person in (*people, gone):
        BillingProfile.objects.create(user=person, name="x")
    incident = record(client, ["billing"])
    monkeypatch.setattr(breaches, "BATCH_SIZE", 2)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{REGISTER}{incident.pk}/notify-users/", {})

    incident.refresh_from_db()
    assert incident.users_notified_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == [p.email for p in people]
    notices = BreachNotification.objects.filter(incident=incident)
    assert notices.count() == 3 and not notices.filter(sent_at__isnull=True).exists()
    french = next(m for m in mail.outbox if m.to == [people[0].email])
    with translation.override("fr"):
        subject = translation.gettext(
            "[Tokengate] Important: a security incident affecting your data"
        )
    assert (
        french.subject
        == subject
        != "[Tokengate] Important: a security incident affecting your data"
    )
    assert "readable by anyone with its link" in str(french.body)

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{REGISTER}{incident.pk}/notify-users/", {})
    assert mail.outbox == []
    page = client.get(f"{REGISTER}{incident.pk}/change/").content.decode()
    assert "3 / 3" in page


def test_only_privacy_officers_keep_the_register(make_user: Callable):
    support = make_user(staff=True)
    support.groups.add(Group.objects.get(name="Support"))
    client = Client()
    client.force_login(support)

    assert client.get(REGISTER).status_code == 403
    assert client.get(f"{REGISTER}add/").status_code == 403


def test_the_register_is_kept_five_years(officer: tuple[Client, User], make_user: Callable):
    client, member = officer
    make_user("someone@example.com")
    incident = record(client, ["contact"])
    breaches.notify_users(incident, actor=member)

    with time_machine.travel(AWARE + timedelta(days=5 * 365), tick=False):
        assert run_retention.delay().get()["breach_records"] == 0
    with time_machine.travel(AWARE + timedelta(days=5 * 365 + 2), tick=False):
        assert run_retention.delay().get()["breach_records"] == 1
    assert not BreachIncident.objects.exists() and not BreachNotification.objects.exists()
