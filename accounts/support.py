"""Support workflows: tickets opened and answered, feedback given.

Views, admin and tests all go through these functions. A staff reply is emailed to the
ticket's owner in their own language once the reply is committed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Feedback, Preferences, SupportTicket, TicketMessage, User


def open_ticket(*, user: User, subject: str, category: str, body: str) -> SupportTicket:
    with transaction.atomic():
        ticket = SupportTicket.objects.create(user=user, subject=subject, category=category)
        TicketMessage.objects.create(ticket=ticket, author=user, body=body)
    return ticket


def add_user_reply(ticket: SupportTicket, *, body: str) -> TicketMessage:
    """The owner writes again: the ticket waits for support once more."""
    return add_message(ticket, author=ticket.user, body=body, status=SupportTicket.Status.OPEN)


def add_staff_reply(ticket: SupportTicket, *, author: User, body: str) -> TicketMessage:
    """Support answers; the owner gets an email in their language after the commit."""
    # Imported here: the tasks module imports this one.
    from accounts.tasks import send_staff_reply_notice as send_staff_reply_notice_task

    message = add_message(
        ticket, author=author, body=body, status=SupportTicket.Status.ANSWERED, staff=True
    )
    transaction.on_commit(lambda: send_staff_reply_notice_task.delay(message.pk))
    return message


def add_message(
    ticket: SupportTicket, *, author: User, body: str, status: str, staff: bool = False
) -> TicketMessage:
    with transaction.atomic():
        message = TicketMessage.objects.create(
            ticket=ticket, author=author, body=body, is_staff_reply=staff
        )
        ticket.status, ticket.updated_at = status, message.created_at
        ticket.save(update_fields=["status", "updated_at"])
    return message


def close_ticket(ticket: SupportTicket) -> None:
    ticket.status, ticket.updated_at = SupportTicket.Status.CLOSED, timezone.now()
    ticket.save(update_fields=["status", "updated_at"])


def send_staff_reply_notice(message: TicketMessage) -> None:
    ticket = message.ticket
    language = Preferences.objects.for_user(ticket.user).language
    context = {
        "ticket": ticket,
        "message": message,
        "ticket_url": settings.SITE_URL.rstrip("/") + reverse("support_ticket", args=[ticket.pk]),
    }
    with translation.override(language):
        subject = render_to_string("accounts/email/support_reply_subject.txt", context).strip()
        body = render_to_string("accounts/email/support_reply_message.txt", context)
    send_mail(subject, body, None, [ticket.user.email])


def give_feedback(*, user: User, message: str, rating: int | None) -> Feedback:
    return Feedback.objects.create(user=user, message=message, rating=rating)
