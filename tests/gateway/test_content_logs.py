"""Opt-in content logging: encrypted, only with consent, deleted on withdrawal and after 30 days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from openai.types.chat import ChatCompletionMessageParam

from accounts.models import Preferences, User
from gateway.encryption import DecryptionError
from gateway.models import ContentLog
from privacy.tasks import run_retention
from tests.gateway.conftest import MODEL
from tests.gateway.test_proxy import client

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
SECRET_PROMPT: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "my confidential plan"}
]


def test_nothing_is_stored_without_opting_in(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable
):
    make_channel()

    client(live_gateway, api_key).chat.completions.create(model=MODEL, messages=SECRET_PROMPT)

    assert not ContentLog.objects.exists()


def test_an_opted_in_users_content_is_stored_encrypted(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable
):
    make_channel()
    Preferences.objects.update_or_create(user=customer, defaults={"content_logging": True})

    client(live_gateway, api_key).chat.completions.create(model=MODEL, messages=SECRET_PROMPT)

    log = ContentLog.objects.get()
    assert "my confidential plan" in log.prompt
    assert log.response == "Hello from the fake upstream."
    with connection.cursor() as cursor:
        cursor.execute("SELECT prompt_encrypted, response_encrypted FROM gateway_contentlog")
        stored = repr(cursor.fetchall())
    assert "confidential" not in stored and "Hello" not in stored


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(customer: User):
    one = ContentLog.sealed(request_id="req_1", user_id=customer.pk, prompt="a", response="b")
    other = ContentLog.sealed(request_id="req_2", user_id=customer.pk, prompt="c", response="d")
    other.prompt_encrypted = one.prompt_encrypted

    with pytest.raises(DecryptionError):
        other.prompt  # noqa: B018


def test_turning_content_logging_off_deletes_what_was_stored(customer: User, client: Client):
    Preferences.objects.update_or_create(user=customer, defaults={"content_logging": True})
    ContentLog.sealed(request_id="req_1", user_id=customer.pk, prompt="p", response="r").save()
    client.force_login(customer)

    client.post("/settings/preferences/", {"language": "en", "time_zone": "UTC"})

    assert not Preferences.objects.get(user=customer).content_logging
    assert not ContentLog.objects.exists()


def test_content_logs_are_purged_after_30_days(customer: User):
    old = ContentLog.sealed(request_id="old", user_id=customer.pk, prompt="p", response="r")
    old.created_at = timezone.now() - timedelta(days=30, minutes=1)
    old.save()
    ContentLog.sealed(request_id="new", user_id=customer.pk, prompt="p", response="r").save()

    assert run_retention.delay().get()["content_logs"] == 1
    assert list(ContentLog.objects.values_list("request_id", flat=True)) == ["new"]
