from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from gateway.models import ContentLog


@shared_task
def purge_content_logs() -> int:
    """Delete content logs older than the 30 days the privacy policy promises."""
    cutoff = timezone.now() - settings.CONTENT_LOG_RETENTION
    deleted, _by_model = ContentLog.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task
def delete_content_logs(user_id: int) -> int:
    """A user turned content logging off: what was stored goes at once."""
    deleted, _by_model = ContentLog.objects.filter(user_id=user_id).delete()
    return deleted
