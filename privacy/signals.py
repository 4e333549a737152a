from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import Preferences
from privacy.consent import PREFERENCE_OF, record_consent
from privacy.models import ConsentRecord


@receiver(post_save, sender=Preferences)
def record_preference_changes_as_consent(
    sender: type[Preferences], instance: Preferences, created: bool, **kwargs: Any
) -> None:
    """A consent preference changed in the console: record the choice (method: settings)."""
    if getattr(instance, "_recorded_by_consent", False):
        return
    records = ConsentRecord.objects.of_subject(user_id=instance.user_id)
    for purpose, field in PREFERENCE_OF.items():
        chosen = getattr(instance, field)
        previous = records.latest_choice(purpose)
        if previous != chosen and (previous is not None or chosen):
            method = ConsentRecord.Method.SIGNUP if created else ConsentRecord.Method.SETTINGS
            record_consent(purpose=purpose, granted=chosen, method=method, user=instance.user)
