"""Versions of the privacy policy, the terms and the cookie notice, and publishing them.

The privacy policy (section 9.1) promises that a material change is emailed at least 30 days
before it takes effect, announced on the console until then, and dated "Last updated". A
version is published in all its languages at once; English is the fallback for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Preferences, User
from privacy.models import PolicyAcknowledgement, PolicyDocument, PolicyNotice

DEFAULTS_DIR = Path(__file__).resolve().parent / "default_policies"
MATERIAL_NOTICE = timedelta(days=30)
FALLBACK_LANGUAGE = "en"
BATCH_SIZE = 200


class PolicyRefused(Exception):
    """A publication the promises do not allow; the message says why."""


@dataclass(frozen=True)
class Coming:
    """A published material change not yet in effect, for the console banner."""

    kind: str
    version: int
    title: str
    effective_at: datetime


def in_language(documents: QuerySet[PolicyDocument], language: str) -> PolicyDocument | None:
    """The document in `language`, else in English."""
    return (
        documents.filter(language=language).first()
        or documents.filter(language=FALLBACK_LANGUAGE).first()
    )


def current(kind: str, language: str, *, now: datetime | None = None) -> PolicyDocument | None:
    """The version in effect now, in the reader's language where it exists."""
    now = now or timezone.now()
    in_effect = PolicyDocument.objects.filter(
        kind=kind, published_at__isnull=False, effective_at__lte=now
    )
    latest = in_effect.order_by("-version").values_list("version", flat=True).first()
    if latest is None:
        return None
    return in_language(in_effect.filter(version=latest), language)


def publish(
    kind: str, version: int, *, actor: User | None, effective_at: datetime | None = None
) -> list[PolicyDocument]:
    """Publish every language of a version; a material change is emailed to every user."""
    documents = list(
        PolicyDocument.objects.filter(kind=kind, version=version, published_at__isnull=True)
    )
    if not any(document.language == FALLBACK_LANGUAGE for document in documents):
        raise PolicyRefused(_("Write the English text first: it is shown where no translation is."))
    material = any(document.material for document in documents)
    now = timezone.now()
    if material and (effective_at is None or effective_at < now + MATERIAL_NOTICE):
        raise PolicyRefused(
            _("A material change takes effect at least 30 days after it is published.")
        )
    # A non-material change takes effect at once.
    effective = effective_at if material else now
    PolicyDocument.objects.filter(pk__in=[d.pk for d in documents]).update(
        material=material, published_at=now, effective_at=effective
    )
    if material:
        queue_notices(kind, version)
    return list(PolicyDocument.objects.filter(pk__in=[d.pk for d in documents]))


def default_text(kind: str, language: str) -> tuple[str, str]:
    """The shipped first version of a document: its file's first line, then the text."""
    text = (DEFAULTS_DIR / f"{kind}.{language}.txt").read_text(encoding="utf-8")
    title, _newline, body = text.partition("\n")
    return title.strip(), body.strip()


@transaction.atomic
def publish_defaults() -> tuple[list[str], list[str]]:
    """Publish the shipped texts as version 1 of each document nobody has published yet.

    Returns the kinds published and the kinds skipped because a draft is waiting in admin.
    """
    published, drafted = [], []
    for kind in PolicyDocument.Kind.values:
        documents = PolicyDocument.objects.filter(kind=kind)
        if documents.filter(published_at__isnull=False).exists():
            continue
        if documents.exists():
            drafted.append(kind)
            continue
        for language, _name in settings.LANGUAGES:
            title, body = default_text(kind, language)
            PolicyDocument.objects.create(
                kind=kind, version=1, language=language, title=title, body=body
            )
        publish(kind, 1, actor=None)
        published.append(kind)
    return published, drafted


def queue_notices(kind: str, version: int) -> None:
    users = User.objects.filter(is_active=True).exclude(email__endswith="@erased.invalid")
    PolicyNotice.objects.bulk_create(
        (PolicyNotice(kind=kind, version=version, user=user) for user in users),
        ignore_conflicts=True,
    )
    from privacy.tasks import send_policy_notices as send_policy_notices_task

    transaction.on_commit(lambda: send_policy_notices_task.delay(kind, version))


def send_notices(kind: str, version: int) -> int:
    """Send one batch of queued notices, each in its reader's language; returns what is left."""
    pending = PolicyNotice.objects.filter(kind=kind, version=version, sent_at__isnull=True)
    documents = PolicyDocument.objects.filter(kind=kind, version=version)
    for notice in pending.select_related("user").order_by("pk")[:BATCH_SIZE]:
        language = Preferences.objects.for_user(notice.user).language
        document = in_language(documents, language)
        with translation.override(language):
            context = {"document": document, "site_url": settings.SITE_URL.rstrip("/")}
            subject = render_to_string("privacy/email/policy_change_subject.txt", context)
            body = render_to_string("privacy/email/policy_change_message.txt", context)
        send_mail(subject.strip(), body, None, [notice.user.email])
        PolicyNotice.objects.filter(pk=notice.pk).update(sent_at=timezone.now())
    return pending.count()


def coming_changes(user: User, language: str, *, now: datetime | None = None) -> list[Coming]:
    """Material changes published but not yet in effect that `user` has not acknowledged."""
    now = now or timezone.now()
    acknowledged = set(
        PolicyAcknowledgement.objects.filter(user=user).values_list("kind", "version")
    )
    upcoming = PolicyDocument.objects.filter(
        material=True, published_at__isnull=False, effective_at__gt=now
    )
    found = []
    for kind, version in upcoming.values_list("kind", "version").distinct():
        document = in_language(upcoming.filter(kind=kind, version=version), language)
        if (kind, version) not in acknowledged and document is not None:
            assert document.effective_at is not None
            found.append(Coming(kind, version, document.title, document.effective_at))
    return found


def acknowledge(user: User, *, kind: str, version: int) -> None:
    PolicyAcknowledgement.objects.get_or_create(user=user, kind=kind, version=version)
