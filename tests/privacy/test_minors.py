"""Suspected minors: suspended at once, erased after a Privacy Officer confirms."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client

from accounts.models import User
from privacy.models import ErasurePlan, MinorCase

pytestmark = pytest.mark.django_db
USERS = "/admin/accounts/user/"
CASES = "/admin/privacy/minorcase/"


def staff(make_user: Callable, email: str, role: str) -> tuple[Client, User]:
    member = make_user(email, staff=True)
    member.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(member)
    return client, member


def flag(client: Client, user: User) -> None:
    client.post(USERS, {"action": "suspect_minor", "_selected_action": [user.pk]})


def test_support_suspends_a_suspected_minor_at_once(make_user: Callable):
    child = make_user("child@example.com")
    session = Client()
    session.force_login(child)
    support, agent = staff(make_user, "support@example.com", "Support")

    flag(support, child)

    child.refresh_from_db()
    assert not child.is_active and child.processing_restricted
    case = MinorCase.objects.get(user=child)
    assert (case.status, case.source, case.suspended_by) == ("suspended", "staff", agent)
    assert case.erasure is not None and case.erasure.status == "planned"
    assert session.get("/keys/").status_code == 302  # Signed out.
    support.post(CASES, {"action": "confirm", "_selected_action": [case.pk]})
    case.refresh_from_db()
    assert case.status == "suspended"


def test_a_privacy_officer_confirms_and_the_erasure_job_closes_the_account(
    make_user: Callable, django_capture_on_commit_callbacks: Callable
):
    child = make_user("child@example.com")
    officer, first = staff(make_user, "first@example.com", "Privacy Officer")
    second_client, second = staff(make_user, "second@example.com", "Privacy Officer")
    flag(officer, child)
    case = MinorCase.objects.get(user=child)

    officer.post(CASES, {"action": "confirm", "_selected_action": [case.pk]})
    case.refresh_from_db()
    assert case.status == "suspended"  # The one who suspended cannot also confirm.
    with django_capture_on_commit_callbacks(execute=True):
        second_client.post(CASES, {"action": "confirm", "_selected_action": [case.pk]})

    case.refresh_from_db()
    assert (case.status, case.decided_by) == ("confirmed", second)
    plan = ErasurePlan.objects.get(minor_case=case)
    assert (plan.status, plan.planned_by, plan.approved_by) == ("executed", first, second)
    child.refresh_from_db()
    assert child.email.endswith("@erased.invalid") and child.closed_at is not None
    assert case.reported_email.endswith("@erased.invalid")
    assert mail.outbox[-1].to == ["child@example.com"]  # The erasure receipt.


def test_a_dismissed_case_reinstates_the_account(make_user: Callable):
    adult = make_user("adult@example.com")
    support, _agent = staff(make_user, "support@example.com", "Support")
    officer, _officer = staff(make_user, "officer@example.com", "Privacy Officer")
    flag(support, adult)
    case = MinorCase.objects.get(user=adult)

    officer.post(CASES, {"action": "dismiss", "_selected_action": [case.pk]})

    adult.refresh_from_db()
    assert adult.is_active and not adult.processing_restricted
    case.refresh_from_db()
    assert case.status == "dismissed" and case.erasure is None
    assert not ErasurePlan.objects.filter(user=adult).exists()


def test_a_guardian_report_opens_a_case_for_staff(make_user: Callable):
    child = make_user("kid@example.com")
    officer, _member = staff(make_user, "officer@example.com", "Privacy Officer")

    page = Client().post(
        "/privacy/minor-report/",
        {
            "child_email": "KID@example.com",
            "guardian_name": "Pat Parent",
            "guardian_email": "pat@example.com",
            "details": "My son is 15.",
        },
    )

    assert page.status_code == 200
    case = MinorCase.objects.get()
    assert (case.user, case.source, case.status) == (child, "guardian", "reported")
    child.refresh_from_db()
    assert child.is_active  # Nothing is suspended on a stranger's word alone.
    assert mail.outbox[-1].to == ["officer@example.com"]
    assert f"/admin/privacy/minorcase/{case.pk}/change/" in str(mail.outbox[-1].body)

    officer.post(CASES, {"action": "suspend", "_selected_action": [case.pk]})
    child.refresh_from_db()
    case.refresh_from_db()
    assert not child.is_active and case.status == "suspended"


def test_the_guardian_form_checks_its_fields():
    response = Client().post("/privacy/minor-report/", {"child_email": "not an email"})

    assert response.status_code == 200
    assert not MinorCase.objects.exists()
    assert response.context["form"].errors
