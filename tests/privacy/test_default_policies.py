"""The shipped privacy policy, terms and cookie notice, published on a fresh install."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from privacy.models import PolicyDocument
from privacy.policies import DEFAULTS_DIR, default_text

pytestmark = pytest.mark.django_db
KINDS = PolicyDocument.Kind.values
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def publish_defaults() -> str:
    output = StringIO()
    call_command("publish_default_policies", stdout=output)
    return output.getvalue()


def test_the_command_publishes_every_document_in_every_language():
    output = publish_defaults()

    published = PolicyDocument.objects.filter(published_at__isnull=False, version=1)
    assert sorted(published.values_list("kind", "language")) == sorted(
        (kind, language) for kind in KINDS for language in LANGUAGES
    )
    assert not published.filter(material=True).exists()
    assert all(f"Published {kind} version 1" in output for kind in KINDS)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_privacy_policy_then_answers_in_each_language(language: str):
    publish_defaults()
    title, _body = default_text("privacy", language)

    page = Client().get("/legal/privacy/", headers={"accept-language": language})

    assert page.status_code == 200
    assert title in page.content.decode()


def test_the_terms_and_the_cookie_notice_answer_too():
    publish_defaults()

    assert Client().get("/legal/terms/").status_code == 200
    assert Client().get("/legal/cookies/").status_code == 200


def test_a_second_run_publishes_nothing():
    publish_defaults()

    output = publish_defaults()

    assert "Nothing to publish" in output
    assert PolicyDocument.objects.count() == len(KINDS) * len(LANGUAGES)


def test_a_document_already_published_by_staff_is_left_alone():
    PolicyDocument.objects.create(
        kind="terms",
        version=3,
        language="en",
        title="Our own terms",
        body="Written by the operator.",
        published_at="2026-01-01T00:00Z",
        effective_at="2026-01-01T00:00Z",
    )

    output = publish_defaults()

    assert "Published terms" not in output
    assert list(PolicyDocument.objects.filter(kind="terms").values_list("title", flat=True)) == [
        "Our own terms"
    ]
    assert "Our own terms" in Client().get("/legal/terms/").content.decode()
    assert Client().get("/legal/cookies/").status_code == 200


def test_a_kind_with_a_draft_waiting_in_admin_is_left_for_its_author():
    PolicyDocument.objects.create(kind="cookies", version=1, language="en", title="Draft", body="…")

    output = publish_defaults()

    assert "Left cookies alone" in output
    assert PolicyDocument.objects.filter(kind="cookies").count() == 1
    assert Client().get("/legal/cookies/").status_code == 404


def test_every_default_file_has_a_title_and_a_body_in_every_language():
    files = sorted(DEFAULTS_DIR.glob("*.txt"))
    per_language = Counter(path.name.split(".")[1] for path in files)

    assert len(files) == len(KINDS) * len(LANGUAGES)
    assert per_language == {language: len(KINDS) for language in LANGUAGES}
    for path in files:
        kind, language, _suffix = path.name.split(".")
        title, body = default_text(kind, language)
        assert title and "\n" not in title
        assert len(body.split("\n\n")) > 3, path.name
