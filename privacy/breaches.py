"""The breach register: recording a breach, its two 72-hour clocks, and the notifications.

GDPR Art. 33(1): the supervisory authority is told within 72 hours of becoming aware, or the
late notification gives the reasons for the delay. Art. 34: people are told without undue
delay when the risk to them is high; the privacy policy (section 3.4) promises 72 hours. Who is
affected is worked out from the data inventory: everyone with data of the breached categories.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Preferences, User
from privacy.inventory import SUBJECTS, Category, our_models, personal_fields
from privacy.models import BreachIncident, BreachNotification

NOTIFY_WITHIN = timedelta(hours=72)
BATCH_SIZE = 200
CATEGORY_LABELS = {
    Category.IDENTITY: gettext_lazy("identity"),
    Category.CONTACT: gettext_lazy("contact details"),
    Category.ACCOUNT: gettext_lazy("account data"),
    Category.BILLING: gettext_lazy("billing and payment data"),
    Category.USAGE: gettext_lazy("usage metadata"),
    Category.CONTENT: gettext_lazy("prompts and responses (content)"),
    Category.DEVICE: gettext_lazy("device and network data"),
    Category.SUPPORT: gettext_lazy("support and privacy requests"),
    Category.CONSENT: gettext_lazy("consent records"),
}


class BreachRefused(Exception):
    """A step the law or the register's state does not allow; the message says why."""


def authority_due(incident: BreachIncident) -> datetime:
    return incident.became_aware_at + NOTIFY_WITHIN


def users_due(incident: BreachIncident) -> datetime:
    return incident.became_aware_at + NOTIFY_WITHIN


def affected_users(categories: list[str]) -> list[int]:
    """Everyone with stored data of these categories, found through the inventory."""
    found: set[int] = set()
    for model in our_models():
        lookup = SUBJECTS.get(model._meta.label)
        fields = personal_fields(model).values()
        if lookup and any(item.category in categories for item in fields):
            rows = model._default_manager.exclude(**{f"{lookup}__isnull": True})
            found.update(rows.values_list(lookup, flat=True))
    people = User.objects.filter(pk__in=found).exclude(email__endswith="@erased.invalid")
    return sorted(people.values_list("pk", flat=True))


def record_breach(incident: BreachIncident, *, actor: User) -> None:
    """Save a new or corrected entry; the number of people affected follows its categories."""
    if incident.created_by_id is None:
        incident.created_by = actor
    incident.people_affected = len(affected_users(incident.data_categories))
    incident.save()


def notify_authority(
    incident: BreachIncident, *, actor: User, reference: str, late_reason: str = ""
) -> None:
    """Record that the supervisory authority was told (and its reference for the case)."""
    if incident.authority_notified_at is not None:
        raise BreachRefused(_("The authority has already been notified of this breach."))
    now = timezone.now()
    if now > authority_due(incident) and not late_reason.strip():
        raise BreachRefused(
            _("The 72 hours are over: give the reasons for the delay (GDPR Art. 33(1)).")
        )
    incident.authority_notified_at = now
    incident.authority_reference = reference
    incident.late_reason = late_reason
    incident.save(update_fields=["authority_notified_at", "authority_reference", "late_reason"])


def notify_users(incident: BreachIncident, *, actor: User) -> int:
    """Queue one notice per affected person (once each) and start sending them in batches."""
    people = User.objects.filter(
        pk__in=affected_users(incident.data_categories), is_active=True
    ).exclude(breach_notifications__incident=incident)
    queued = BreachNotification.objects.bulk_create(
        BreachNotification(
            incident=incident,
            user=person,
            email=person.email,
            language=Preferences.objects.for_user(person).language,
        )
        for person in people
    )
    if incident.users_notified_at is None:
        incident.users_notified_at = timezone.now()
        incident.save(update_fields=["users_notified_at"])
    from privacy.tasks import send_breach_notifications as send_breach_notifications_task

    transaction.on_commit(lambda: send_breach_notifications_task.delay(incident.pk))
    return len(queued)


def send_notifications(incident: BreachIncident) -> int:
    """Send one batch of queued notices; returns how many are still waiting."""
    pending = incident.notifications.filter(sent_at__isnull=True).order_by("pk")
    for notice in pending[:BATCH_SIZE]:
        with translation.override(notice.language):
            context = {"incident": incident, "site_url": settings.SITE_URL.rstrip("/")}
            subject = render_to_string("privacy/email/breach_subject.txt", context).strip()
            body = render_to_string("privacy/email/breach_message.txt", context)
        send_mail(subject, body, None, [notice.email])
        BreachNotification.objects.filter(pk=notice.pk).update(sent_at=timezone.now())
    return pending.count()
