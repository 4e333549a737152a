from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.tasks import clear_expired_sessions


@pytest.mark.django_db
def test_the_nightly_task_deletes_only_expired_sessions():
    expired, current = SessionStore(), SessionStore()
    expired.set_expiry(timezone.now() - timedelta(seconds=1))
    expired.create()
    current.create()

    clear_expired_sessions.delay()

    assert list(Session.objects.values_list("session_key", flat=True)) == [current.session_key]
