from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from privacy import dsar
from privacy.models import DataExport, DataSubjectRequest


@shared_task
def acknowledge_request(request_id: str) -> None:
    dsar.acknowledge(DataSubjectRequest.objects.get(pk=request_id))


@shared_task
def fulfil_export(request_id: str) -> None:
    dsar.fulfil_export(DataSubjectRequest.objects.select_related("user").get(pk=request_id))


@shared_task
def purge_expired_exports() -> int:
    """Delete archives past their download window (7 days by default), files included."""
    expired = DataExport.objects.filter(expires_at__lt=timezone.now())
    for export in expired:
        export.archive.delete(save=False)
    deleted, _by_model = expired.delete()
    return deleted
