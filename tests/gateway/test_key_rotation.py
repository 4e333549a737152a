"""Rotating FIELD_ENCRYPTION_KEYS: re-encryption under the new key, resumable and idempotent."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import User
from gateway.models import Channel, ContentLog

OLD, NEW = b"o" * 32, b"n" * 32


def raw(table: str, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} ORDER BY id")  # noqa: S608 - test constants
        return [row[0] for row in cursor.fetchall()]


def rotate(**options: Any) -> str:
    output = io.StringIO()
    call_command("rotate_encryption_keys", stdout=output, **options)
    return output.getvalue()


@pytest.mark.django_db
def test_rows_under_the_old_key_decrypt_after_rotation_even_once_it_is_removed(
    settings: Any, make_user: Callable[..., User]
):
    settings.FIELD_ENCRYPTION_KEYS = {"old": OLD}
    for number in range(5):
        Channel.objects.create(
            name=f"c{number}", provider="mock", api_key=f"sk-upstream-{number}", served_models=["m"]
        )
    user = make_user()
    for number in range(3):
        sealed = ContentLog.sealed(
            request_id=f"req_{number}", user_id=user.pk, prompt=f"p{number}", response=f"r{number}"
        )
        sealed.save()
    assert all(value.startswith("old:") for value in raw("gateway_channel", "api_key"))

    settings.FIELD_ENCRYPTION_KEYS = {"new": NEW, "old": OLD}
    # Interrupted after one batch of two: those two are done, the rest still decrypt.
    output = rotate(batch_size=2, max_batches=1)
    assert "stopped early" in output
    keys = [value.split(":")[0] for value in raw("gateway_channel", "api_key")]
    assert sorted(keys) == ["new", "new", "old", "old", "old"]
    assert [channel.api_key for channel in Channel.objects.order_by("id")] == [
        f"sk-upstream-{number}" for number in range(5)
    ]

    # Run again: it resumes and finishes, the content logs included.
    assert "Every encrypted value is under key 'new'" in rotate(batch_size=2)
    for table, column in (
        ("gateway_channel", "api_key"),
        ("gateway_contentlog", "prompt_encrypted"),
        ("gateway_contentlog", "response_encrypted"),
    ):
        assert all(value.startswith("new:") for value in raw(table, column))

    # Idempotent: nothing left to do, nothing rewritten.
    before = raw("gateway_channel", "api_key")
    assert "gateway.Channel.api_key: 0 re-encrypted." in rotate()
    assert raw("gateway_channel", "api_key") == before

    settings.FIELD_ENCRYPTION_KEYS = {"new": NEW}
    assert [channel.api_key for channel in Channel.objects.order_by("id")] == [
        f"sk-upstream-{number}" for number in range(5)
    ]
    logs = ContentLog.objects.order_by("id")
    assert [(log.prompt, log.response) for log in logs] == [
        (f"p{number}", f"r{number}") for number in range(3)
    ]
