"""The access audit: every admin look at or change of personal data is recorded, for good."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.checks import run_checks
from django.test import Client

from accounts.models import ApiToken, User
from billing.models import Plan
from privacy.audit import is_personal_data_model
from privacy.audited_admin import AuditedAdmin, unaudited_admins
from privacy.models import AccessEvent
from privacy.tasks import run_retention

pytestmark = pytest.mark.django_db


def staff_client(make_user: Callable, *roles: str, **options: object) -> tuple[Client, User]:
    member = make_user(staff=True, **options)
    for role in roles:
        member.groups.add(Group.objects.get(name=role))
    client = Client(REMOTE_ADDR="203.0.113.77")
    client.force_login(member)
    return client, member


def test_every_admin_of_a_personal_data_model_records_access():
    personal = [model for model in admin.site._registry if is_personal_data_model(model)]

    assert User in personal and ApiToken in personal and Plan not in personal
    assert unaudited_admins(admin.site) == []


def test_an_unaudited_admin_of_a_personal_data_model_fails_the_checks():
    site = admin.AdminSite(name="elsewhere")
    site.register(User, admin.ModelAdmin)
    site.register(Plan, admin.ModelAdmin)

    assert unaudited_admins(site) == ["accounts.User"]
    assert not [m for m in run_checks(tags=["admin"]) if m.id == "privacy.E002"]
    assert isinstance(admin.site._registry[User], AuditedAdmin)


def test_a_list_records_the_rows_shown_and_masks_emails(make_user: Callable):
    customers = [make_user(f"customer{n}@example.com") for n in range(3)]
    client, member = staff_client(make_user, "Support")

    page = client.get("/admin/accounts/user/").content.decode()

    assert "customer0@example.com" not in page and "customer0" not in page
    assert "cu***@example.com" in page
    event = AccessEvent.objects.get(action="list")
    assert event.staff == member
    assert event.model == "accounts.User"
    assert {str(c.pk) for c in customers} <= set(event.object_ids)
    assert set(event.subjects.all()) >= set(customers)
    assert event.ip_truncated == "203.0.113.0/24"


def test_opening_a_record_is_recorded(make_user: Callable, make_key: Callable):
    customer = make_user()
    make_key(customer)
    token = ApiToken.objects.get(user=customer)
    client, _member = staff_client(make_user, "Support")

    assert client.get(f"/admin/accounts/apitoken/{token.pk}/change/").status_code == 200

    event = AccessEvent.objects.get(action="view")
    assert (event.model, event.object_ids) == ("accounts.ApiToken", [str(token.pk)])
    assert list(event.subjects.all()) == [customer]


def test_a_change_records_the_field_names_not_the_values(make_user: Callable):
    customer = make_user("before@example.com")
    client, _member = staff_client(make_user, superuser=True)

    response = client.post(
        f"/admin/accounts/user/{customer.pk}/change/",
        {
            "email": "after@example.com",
            "username": customer.username,
            "display_name": "",
            "bio": "",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    event = AccessEvent.objects.get(action="change")
    assert event.fields == ["email"]
    assert "after@example.com" not in str(event.__dict__)
    assert list(event.subjects.all()) == [customer]


def test_an_admin_action_on_personal_data_is_recorded(make_user: Callable, make_key: Callable):
    customer = make_user()
    make_key(customer)
    token = ApiToken.objects.get(user=customer)
    client, _member = staff_client(make_user, "Support")

    client.post(
        "/admin/accounts/apitoken/", {"action": "disable_keys", "_selected_action": [token.pk]}
    )

    event = AccessEvent.objects.get(action="change")
    assert (event.detail, event.object_ids) == ("disable_keys", [str(token.pk)])


def test_an_export_is_masked_and_recorded(make_user: Callable):
    customer = make_user("exported@example.com")
    client, _member = staff_client(make_user, "Support")

    response = client.post(
        "/admin/accounts/user/", {"action": "export_selected", "_selected_action": [customer.pk]}
    )

    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    assert "ex***@example.com" in body and "exported@example.com" not in body
    event = AccessEvent.objects.get(action="export")
    assert event.object_ids == [str(customer.pk)]


def test_a_reveal_asks_for_a_reason_then_shows_and_records(make_user: Callable):
    customer = make_user("hidden@example.com")
    client, _member = staff_client(make_user, "Support")
    selected = {"action": "reveal_selected", "_selected_action": [customer.pk]}

    asked = client.post("/admin/accounts/user/", selected).content.decode()
    assert "hidden@example.com" not in asked
    assert not AccessEvent.objects.filter(action="reveal").exists()

    refused = client.post("/admin/accounts/user/", {**selected, "reveal": "yes", "reason": ""})
    assert "hidden@example.com" not in refused.content.decode()

    shown = client.post(
        "/admin/accounts/user/", {**selected, "reveal": "yes", "reason": "Ticket 4411"}
    ).content.decode()
    assert "hidden@example.com" in shown
    event = AccessEvent.objects.get(action="reveal")
    assert (event.reason, event.fields) == ("Ticket 4411", ["email"])
    assert list(event.subjects.all()) == [customer]


def test_nobody_can_edit_or_delete_access_events(make_user: Callable):
    customer = make_user()
    client, _member = staff_client(make_user, superuser=True)
    client.get(f"/admin/accounts/user/{customer.pk}/change/")
    event = AccessEvent.objects.get(action="view")
    url = f"/admin/privacy/accessevent/{event.pk}"

    assert client.get("/admin/privacy/accessevent/add/").status_code == 403
    assert client.post(f"{url}/delete/", {"post": "yes"}).status_code == 403
    client.post(f"{url}/change/", {"reason": "rewritten"})
    client.post(
        "/admin/privacy/accessevent/",
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )

    event.refresh_from_db()
    assert event.reason == ""
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_the_access_log_of_a_person_says_who_touched_their_data_and_why(make_user: Callable):
    customer = make_user("subject@example.com")
    other = make_user("other@example.com")
    support, agent = staff_client(make_user, "Support")
    support.get(f"/admin/accounts/user/{customer.pk}/change/")
    support.post(
        "/admin/accounts/user/",
        {
            "action": "reveal_selected",
            "_selected_action": [customer.pk],
            "reveal": "yes",
            "reason": "Refund dispute",
        },
    )
    support.get(f"/admin/accounts/user/{other.pk}/change/")
    officer, _officer = staff_client(make_user, "Privacy Officer")

    change_page = officer.get(f"/admin/accounts/user/{customer.pk}/change/").content.decode()
    log = officer.get(f"/admin/accounts/user/{customer.pk}/access-log/")

    assert f"/admin/accounts/user/{customer.pk}/access-log/" in change_page
    assert log.status_code == 200
    events = list(log.context["events"])
    assert [e.action for e in events if e.staff == agent] == ["reveal", "view"]
    assert "Refund dispute" in log.content.decode()
    assert support.get(f"/admin/accounts/user/{customer.pk}/access-log/").status_code == 403


def test_access_events_are_kept_two_years(make_user: Callable):
    customer = make_user()
    client, _member = staff_client(make_user, "Support")
    client.get(f"/admin/accounts/user/{customer.pk}/change/")
    recorded = AccessEvent.objects.get().created_at

    with time_machine.travel(recorded + timedelta(days=729), tick=False):
        assert run_retention.delay().get()["access_audit"] == 0
    with time_machine.travel(recorded + timedelta(days=731), tick=False):
        assert run_retention.delay().get()["access_audit"] == 1
