from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import Preferences
from gateway.tasks import delete_content_logs as delete_content_logs_task


@receiver(post_save, sender=Preferences)
def forget_content_when_logging_is_turned_off(
    sender: type[Preferences], instance: Preferences, **kwargs: Any
) -> None:
    # Accounts cannot depend on the gateway, so the gateway listens for the change.
    if not instance.content_logging:
        user_id = instance.user_id
        transaction.on_commit(lambda: delete_content_logs_task.delay(user_id))
