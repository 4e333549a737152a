from __future__ import annotations

from importlib import import_module

from celery import shared_task
from django.conf import settings

from accounts import support
from accounts.models import TicketMessage


@shared_task
def clear_expired_sessions() -> None:
    """Delete expired sessions (a login lasts at most 30 days), as `clearsessions` does."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()


@shared_task
def send_staff_reply_notice(message_id: int) -> None:
    support.send_staff_reply_notice(
        TicketMessage.objects.select_related("ticket__user").get(pk=message_id)
    )
