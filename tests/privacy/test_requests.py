"""Data subject requests: intake, acknowledgement, email confirmation and the data export."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken, User
from billing import ledger
from billing.models import BillingProfile
from gateway.models import ContentLog
from privacy.consent import has_consent
from privacy.models import DataExport, DataSubjectRequest, DsarEvent
from privacy.tasks import run_retention

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def test_a_signed_in_request_is_acknowledged_with_its_deadline(
    signed_in: Client, user: User, django_capture_on_commit_callbacks: Callable
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(
            "/privacy/requests/", {"regime": "gdpr", "kind": "erasure", "details": ""}
        )

    assert response.status_code == 302
    dsr = DataSubjectRequest.objects.get()
    assert (dsr.user, dsr.email, dsr.status) == (user, user.email, "received")
    assert dsr.identity_verified_at is not None
    kinds = list(dsr.events.values_list("kind", flat=True))
    assert kinds == ["received", "identity_verified", "acknowledged"]
    assert mail.outbox[0].to == [user.email]
    assert "We will respond by" in mail.outbox[0].body
    page = signed_in.get("/privacy/requests/").content.decode()
    assert "delete my data" in page


def test_acknowledgements_go_out_in_the_requesters_language(
    client: Client, django_capture_on_commit_callbacks: Callable
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/privacy/request/",
            {"email": "anna@example.com", "regime": "gdpr", "kind": "access"},
            headers={"accept-language": "fr"},
        )

    assert DataSubjectRequest.objects.get().language == "fr"
    assert "We received your privacy request" not in mail.outbox[0].subject


def test_a_public_request_waits_for_its_email_to_be_confirmed(
    client: Client, django_capture_on_commit_callbacks: Callable
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/privacy/request/",
            {"email": "visitor@example.com", "regime": "ccpa", "kind": "access"},
        )

    assert response.status_code == 200
    dsr = DataSubjectRequest.objects.get()
    assert (dsr.user, dsr.email_verified_at, dsr.identity_verified_at) == (None, None, None)
    assert not DataExport.objects.exists()  # Nothing is sent to an unconfirmed address.
    link = re.search(r"/privacy/request/verify/\S+/", str(mail.outbox[0].body))
    assert link

    assert client.get(link.group(0)).status_code == 200
    dsr.refresh_from_db()
    assert dsr.email_verified_at is not None
    assert dsr.events.filter(kind=DsarEvent.Kind.EMAIL_VERIFIED).count() == 1


def test_a_forged_confirmation_link_is_refused(client: Client):
    assert client.get("/privacy/request/verify/forged/").status_code == 400


def test_a_bad_public_request_gets_form_errors(client: Client):
    response = client.post("/privacy/request/", {"email": "not-an-email", "kind": "access"})

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not DataSubjectRequest.objects.exists()


def test_download_my_data_builds_an_export_from_the_inventory(
    signed_in: Client,
    user: User,
    make_user: Callable,
    make_key: Callable,
    django_capture_on_commit_callbacks: Callable,
):
    key = make_key(user, name="laptop")
    BillingProfile.objects.create(user=user, name="Alice Ltd", tax_id="DE999")
    ledger.adjust_balance(
        user_id=user.pk, amount=10**9, reason="r", actor_id=None, idempotency_key="k"
    )
    ContentLog.sealed(
        request_id="req_1", user_id=user.pk, prompt="secret prompt", response="ok"
    ).save()
    stranger = make_user("stranger@example.com")
    BillingProfile.objects.create(user=stranger, name="Stranger Corp")

    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post("/privacy/requests/", {"regime": "gdpr", "kind": "access"})

    dsr = DataSubjectRequest.objects.get()
    assert dsr.status == "fulfilled"
    link = re.search(r"/privacy/exports/\S+/", str(mail.outbox[-1].body))
    assert link
    download = signed_in.get(link.group(0))
    archive = zipfile.ZipFile(io.BytesIO(download.getvalue()))
    names = set(archive.namelist())
    assert "README.txt" in names and "contact.json" in names and "content.json" in names
    everything = "".join(archive.read(name).decode() for name in names)
    assert user.email in everything
    assert "Alice Ltd" in everything and "DE999" in everything
    assert "secret prompt" in everything  # Content logs are exported decrypted.
    assert "laptop" in everything
    assert "Stranger Corp" not in everything and "stranger@example.com" not in everything
    token = ApiToken.objects.get(user=user)
    assert token.key_hash not in everything and key not in everything
    assert user.password not in everything
    contact = json.loads(archive.read("contact.json"))
    assert contact["accounts.User"][0]["email"] == user.email


def test_an_export_is_for_its_owner_only_and_expires(
    client: Client, make_user: Callable, django_capture_on_commit_callbacks: Callable
):
    owner, other = make_user(), make_user()
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/privacy/requests/", {"regime": "gdpr", "kind": "portability"})
    export = DataExport.objects.get()
    url = f"/privacy/exports/{export.token}/"

    assert Client().get(url).status_code == 302  # Signed out: to the login page.
    intruder = Client()
    intruder.force_login(other)
    assert intruder.get(url).status_code == 404

    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(1))
    assert client.get(url).status_code == 404
    assert run_retention.delay().get()["data_exports"] == 1
    assert not DataExport.objects.exists()


def test_staff_restrict_and_lift_processing_and_apply_an_objection(
    client: Client, make_user: Callable
):
    person = make_user()
    officer = make_user(staff=True)
    officer.groups.add(Group.objects.get(name="Privacy Officer"))
    dsr = DataSubjectRequest.objects.create(
        user=person, email=person.email, regime="gdpr", kind="restriction", language="en"
    )
    client.force_login(officer)
    changelist = "/admin/privacy/datasubjectrequest/"

    client.post(changelist, {"action": "restrict", "_selected_action": [str(dsr.pk)]})
    assert User.objects.get(pk=person.pk).processing_restricted
    client.post(changelist, {"action": "lift_restriction", "_selected_action": [str(dsr.pk)]})
    assert not User.objects.get(pk=person.pk).processing_restricted
    client.post(changelist, {"action": "apply_objection", "_selected_action": [str(dsr.pk)]})
    assert not has_consent(purpose="analytics_cookies", user_id=person.pk)

    client.post(
        f"{changelist}{dsr.pk}/change/",
        {
            "status": "fulfilled",
            "assignee": officer.pk,
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
            "events-MIN_NUM_FORMS": "0",
            "events-MAX_NUM_FORMS": "0",
        },
    )
    kinds = list(dsr.events.values_list("kind", flat=True))
    assert kinds == [
        "restricted",
        "restriction_lifted",
        "objection_applied",
        "assigned",
        "fulfilled",
    ]
    assert all(event.actor == officer for event in dsr.events.all())
