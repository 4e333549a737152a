from __future__ import annotations

from celery import shared_task

from gateway.models import ContentLog


@shared_task
def delete_content_logs(user_id: int) -> int:
    """A user turned content logging off: what was stored goes at once."""
    deleted, _by_model = ContentLog.objects.filter(user_id=user_id).delete()
    return deleted
