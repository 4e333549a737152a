"""Policy versions: publication rules, change emails, the console banner and the public pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from accounts.models import Preferences, User
from privacy.models import PolicyAcknowledgement, PolicyDocument, PolicyNotice

pytestmark = pytest.mark.django_db
ADMIN = "/admin/privacy/policydocument/"


@pytest.fixture
def officer(make_user: Callable) -> Client:
    member = make_user("officer@example.com", staff=True)
    member.groups.add(Group.objects.get(name="Privacy Officer"))
    client = Client()
    client.force_login(member)
    return client


def draft(kind: str, version: int, *, material: bool = False, **texts: str) -> PolicyDocument:
    documents = [
        PolicyDocument.objects.create(
            kind=kind,
            version=version,
            language=language,
            title=title,
            body=f"{title} body v{version}",
            material=material,
        )
        for language, title in texts.items()
    ]
    return documents[0]


def publish(client: Client, document: PolicyDocument, effective: str = "") -> str:
    data = {}
    if effective:
        data = {"effective_at_0": effective[:10], "effective_at_1": effective[11:19]}
    return client.post(f"{ADMIN}{document.pk}/publish/", data, follow=True).content.decode()


def in_days(days: int) -> str:
    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


def user_in(make_user: Callable, email: str, language: str) -> User:
    person = make_user(email)
    Preferences.objects.for_user(person)
    Preferences.objects.filter(user=person).update(language=language)
    return person


def test_a_material_change_needs_30_days_notice(officer: Client, make_user: Callable):
    make_user("reader@example.com")
    document = draft("privacy", 2, material=True, en="Privacy Policy")

    without_date = publish(officer, document)
    too_soon = publish(officer, document, in_days(29))

    assert "at least 30 days" in without_date and "at least 30 days" in too_soon
    document.refresh_from_db()
    assert document.published_at is None
    assert mail.outbox == [] and not PolicyNotice.objects.exists()


def test_a_material_change_is_emailed_announced_and_acknowledged(
    officer: Client, make_user: Callable, django_capture_on_commit_callbacks: Callable
):
    french = user_in(make_user, "fr@example.com", "fr")
    japanese = user_in(make_user, "ja@example.com", "ja")
    gone = make_user("gone@example.com")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    draft("privacy", 1, en="Privacy Policy")
    publish(officer, PolicyDocument.objects.get(version=1))
    document = draft(
        "privacy", 2, material=True, en="Privacy Policy", fr="Politique de confidentialité"
    )

    with django_capture_on_commit_callbacks(execute=True):
        publish(officer, document, in_days(31))

    recipients = sorted(m.to[0] for m in mail.outbox)
    assert "gone@example.com" not in recipients
    assert {"fr@example.com", "ja@example.com", "officer@example.com"} <= set(recipients)
    assert not PolicyNotice.objects.filter(sent_at__isnull=True).exists()
    to_french = next(m for m in mail.outbox if m.to == [french.email])
    with translation.override("fr"):
        expected = translation.gettext("[Tokengate] Our %(title)s is changing") % {
            "title": "Politique de confidentialité"
        }
    assert (
        to_french.subject == expected != "[Tokengate] Our Politique de confidentialité is changing"
    )
    assert "/legal/privacy/?version=2" in str(to_french.body)
    to_japanese = next(m for m in mail.outbox if m.to == [japanese.email])
    assert "Privacy Policy" in to_japanese.subject  # No Japanese text: the English one.

    reader = Client()
    reader.force_login(french)
    assert "Politique de confidentialité" in reader.get("/keys/").content.decode()
    assert "Privacy Policy body v1" in reader.get("/legal/privacy/").content.decode()
    reader.post("/legal/acknowledge/", {"kind": "privacy", "version": "2", "next": "/keys/"})
    assert PolicyAcknowledgement.objects.filter(user=french, version=2).exists()
    assert "legal/acknowledge" not in reader.get("/keys/").content.decode()

    other = Client()
    other.force_login(japanese)
    with time_machine.travel(timezone.now() + timedelta(days=32)):
        assert "legal/acknowledge" not in other.get("/keys/").content.decode()
        assert "Privacy Policy body v2" in other.get("/legal/privacy/").content.decode()


def test_a_non_material_change_takes_effect_at_once(officer: Client, make_user: Callable):
    reader = user_in(make_user, "reader@example.com", "fr")
    document = draft("terms", 1, en="Terms of Service", fr="Conditions d'utilisation")

    publish(officer, document)

    document.refresh_from_db()
    assert document.effective_at is not None and document.effective_at <= timezone.now()
    assert mail.outbox == []
    client = Client()
    client.force_login(reader)
    page = client.get("/legal/terms/").content.decode()
    assert "Conditions d&#x27;utilisation body v1" in page
    with translation.override("fr"):
        last_updated = translation.gettext("Last updated %(date)s")
    assert last_updated.startswith("Mis à jour") and last_updated.split("%")[0].strip() in page


def test_public_pages_fall_back_to_english_and_escape_the_text(officer: Client):
    document = draft("cookies", 1, en="Cookie Notice")
    PolicyDocument.objects.filter(pk=document.pk).update(body="<script>alert(1)</script>")
    publish(officer, document)

    page = Client().get("/legal/cookies/", headers={"accept-language": "ja"}).content.decode()

    assert "Cookie Notice" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert Client().get("/legal/privacy/").status_code == 404


def test_published_text_cannot_be_edited(officer: Client):
    document = draft("terms", 1, en="Terms of Service")
    publish(officer, document)

    response = officer.post(
        f"{ADMIN}{document.pk}/change/",
        {"kind": "terms", "version": 1, "language": "en", "title": "Changed", "body": "x"},
    )

    assert response.status_code == 403
    document.refresh_from_db()
    assert document.title == "Terms of Service"
