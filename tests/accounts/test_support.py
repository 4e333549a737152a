"""Support tickets and feedback: opened in the console, answered in admin, kept three years."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts import support
from accounts.models import Feedback, Preferences, SupportTicket, TicketMessage, User
from privacy.erasure import erase_user_data
from privacy.exports import build_archive
from privacy.models import AccessEvent, LegalHold
from privacy.retention import run_retention

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def ticket(user: User) -> SupportTicket:
    return support.open_ticket(
        user=user, subject="Key refused", category="api", body="My key gets a 401."
    )


def support_agent(make_user: Callable) -> Client:
    agent = make_user(staff=True)
    agent.groups.add(Group.objects.get(name="Support"))
    client = Client()
    client.force_login(agent)
    return client


def test_a_user_opens_a_ticket_and_sees_it_listed(signed_in: Client, user: User):
    response = signed_in.post(
        "/support/", {"subject": "Key refused", "category": "api", "body": "My key gets a 401."}
    )

    ticket = SupportTicket.objects.get()
    assert response["Location"] == f"/support/{ticket.pk}/"
    assert (ticket.user, ticket.status) == (user, "open")
    assert ticket.messages.get().body == "My key gets a 401."
    listing = signed_in.get("/support/").content.decode()
    assert "Key refused" in listing and "open" in listing


def test_an_empty_ticket_gets_form_errors(signed_in: Client):
    response = signed_in.post("/support/", {"subject": "", "category": "api", "body": ""})

    assert response.status_code == 200
    assert not SupportTicket.objects.exists()


def test_a_users_reply_joins_the_thread_and_reopens_the_ticket(
    signed_in: Client, ticket: SupportTicket
):
    SupportTicket.objects.filter(pk=ticket.pk).update(status="answered")

    signed_in.post(f"/support/{ticket.pk}/", {"body": "Still broken."})

    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert list(ticket.messages.values_list("body", flat=True)) == [
        "My key gets a 401.",
        "Still broken.",
    ]
    assert "Still broken." in signed_in.get(f"/support/{ticket.pk}/").content.decode()


def test_other_users_cannot_see_or_touch_a_ticket(
    client: Client, make_user: Callable, ticket: SupportTicket
):
    client.force_login(make_user("mallory@example.com"))

    assert client.get(f"/support/{ticket.pk}/").status_code == 404
    assert client.post(f"/support/{ticket.pk}/", {"body": "hi"}).status_code == 404
    assert client.post(f"/support/{ticket.pk}/close/").status_code == 404
    assert "Key refused" not in client.get("/support/").content.decode()
    assert ticket.messages.count() == 1


def test_support_pages_need_a_sign_in(client: Client):
    assert client.get("/support/").status_code == 302
    assert client.get("/support/feedback/").status_code == 302


def test_a_closed_ticket_takes_no_more_replies(signed_in: Client, ticket: SupportTicket):
    signed_in.post(f"/support/{ticket.pk}/close/")

    ticket.refresh_from_db()
    assert ticket.status == "closed"
    page = signed_in.get(f"/support/{ticket.pk}/").content.decode()
    assert "This ticket is closed" in page
    signed_in.post(f"/support/{ticket.pk}/", {"body": "One more thing"})
    assert ticket.messages.count() == 1


def test_a_staff_reply_in_admin_emails_the_user_in_their_language(
    make_user: Callable,
    user: User,
    ticket: SupportTicket,
    django_capture_on_commit_callbacks: Callable,
):
    Preferences.objects.update_or_create(user=user, defaults={"language": "fr"})
    agent = support_agent(make_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = agent.post(
            f"/admin/accounts/supportticket/{ticket.pk}/change/",
            {"status": "open", "reply": "Please create a new key."},
        )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "answered"
    reply = ticket.messages.last()
    assert reply is not None and reply.is_staff_reply and reply.body == "Please create a new key."
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert mail.outbox[0].subject == "[Tokengate] L\u2019assistance a répondu : Key refused"
    assert "Please create a new key." in mail.outbox[0].body
    assert f"/support/{ticket.pk}/" in mail.outbox[0].body
    assert AccessEvent.objects.filter(action="change").exists()


def test_a_reply_sent_while_closing_leaves_the_ticket_closed(
    make_user: Callable, ticket: SupportTicket, django_capture_on_commit_callbacks: Callable
):
    agent = support_agent(make_user)

    with django_capture_on_commit_callbacks(execute=True):
        agent.post(
            f"/admin/accounts/supportticket/{ticket.pk}/change/",
            {"status": "closed", "reply": "Fixed on our side."},
        )

    ticket.refresh_from_db()
    assert ticket.status == "closed"
    assert len(mail.outbox) == 1


def test_support_reads_a_ticket_in_admin_and_the_reading_is_recorded(
    make_user: Callable, ticket: SupportTicket
):
    agent = support_agent(make_user)

    page = agent.get(f"/admin/accounts/supportticket/{ticket.pk}/change/").content.decode()

    assert "My key gets a 401." in page
    assert 'name="reply"' in page
    assert AccessEvent.objects.filter(action="view").exists()


def test_a_privacy_officer_reads_tickets_without_a_reply_box(
    make_user: Callable, ticket: SupportTicket
):
    officer = make_user(staff=True)
    officer.groups.add(Group.objects.get(name="Privacy Officer"))
    client = Client()
    client.force_login(officer)

    page = client.get(f"/admin/accounts/supportticket/{ticket.pk}/change/").content.decode()

    assert "My key gets a 401." in page
    assert 'name="reply"' not in page


def test_feedback_is_stored_and_thanked_for(signed_in: Client, user: User):
    response = signed_in.post(
        "/support/feedback/", {"message": "Fast and cheap.", "rating": "5"}, follow=True
    )

    feedback = Feedback.objects.get()
    assert (feedback.user, feedback.message, feedback.rating) == (user, "Fast and cheap.", 5)
    assert "Thank you for your feedback." in response.content.decode()


def test_feedback_without_a_rating_is_fine(signed_in: Client):
    signed_in.post("/support/feedback/", {"message": "Nice docs.", "rating": ""})

    assert Feedback.objects.get().rating is None


def test_support_sees_feedback_in_admin(make_user: Callable, user: User):
    support.give_feedback(user=user, message="Nice docs.", rating=4)

    page = support_agent(make_user).get("/admin/accounts/feedback/").content.decode()

    assert "Nice docs." in page


def test_the_export_contains_tickets_their_messages_and_feedback(user: User, ticket: SupportTicket):
    support.give_feedback(user=user, message="Nice docs.", rating=4)

    archive = zipfile.ZipFile(io.BytesIO(build_archive(user, language="en")))
    section = json.loads(archive.read("support.json"))

    assert section["accounts.SupportTicket"][0]["subject"] == "Key refused"
    assert section["accounts.TicketMessage"][0]["body"] == "My key gets a 401."
    assert "author" not in section["accounts.TicketMessage"][0]
    assert section["accounts.Feedback"][0]["message"] == "Nice docs."


def test_erasure_removes_tickets_messages_and_feedback(user: User, ticket: SupportTicket):
    support.give_feedback(user=user, message="Nice docs.", rating=4)

    erase_user_data(user)

    assert not SupportTicket.objects.exists()
    assert not TicketMessage.objects.exists()
    assert not Feedback.objects.exists()


def test_support_communications_go_three_years_after_the_last_contact(
    make_user: Callable, user: User, ticket: SupportTicket
):
    support.give_feedback(user=user, message="Nice docs.", rating=4)
    later = timezone.now() + timedelta(days=400)
    with time_machine.travel(later, tick=False):
        recent = support.open_ticket(user=user, subject="Later", category="other", body="b")

    with time_machine.travel(timezone.now() + timedelta(days=3 * 365 + 1)):
        counts = run_retention().counts

    assert list(SupportTicket.objects.all()) == [recent]
    assert list(TicketMessage.objects.values_list("ticket", flat=True)) == [recent.pk]
    assert not Feedback.objects.exists()
    assert counts["support"] == 2


def test_a_legal_hold_keeps_support_communications(user: User, ticket: SupportTicket):
    LegalHold.objects.create(user=user, reason="dispute")

    with time_machine.travel(timezone.now() + timedelta(days=4 * 365)):
        run_retention()

    assert SupportTicket.objects.filter(pk=ticket.pk).exists()


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_the_support_pages_render_in_every_language(
    signed_in: Client, user: User, ticket: SupportTicket, language: str
):
    Preferences.objects.update_or_create(user=user, defaults={"language": language})

    for url in ("/support/", f"/support/{ticket.pk}/", "/support/feedback/"):
        response = signed_in.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}">' in response.content.decode(), url
