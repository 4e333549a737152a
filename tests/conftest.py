"""Shared fixtures and factories for the whole suite."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, cast

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.core.cache import cache
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from accounts import services
from accounts.models import ApiToken, User
from config import celery_app
from config.asgi import application
from gateway import catalog, upstream

PASSWORD = "correct-horse-battery-9"

# Property tests and fuzzing are bounded and repeatable: the same examples on every run, and
# few enough that `make test` stays fast. HYPOTHESIS_PROFILE=thorough explores more.
hypothesis_settings.register_profile(
    "tokengate",
    derandomize=True,
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.register_profile(
    "thorough", parent=hypothesis_settings.get_profile("tokengate"), max_examples=2000
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "tokengate"))

# Celery tasks run in the test process, and their errors fail the test.
celery_app.conf.task_always_eager = True
celery_app.conf.task_eager_propagates = True


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # allauth's rate limits live in the cache, the gateway's snapshot of keys, channels and
    # prices in the process: every test starts with neither (row ids repeat between tests).
    cache.clear()
    catalog.forget_all()
    yield
    cache.clear()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(email: str | None = None, **options: Any) -> User:
        return services.create_user(email=email or f"user{next(counter)}@example.com", **options)

    return make


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user("alice@example.com")


@pytest.fixture
def make_key() -> Callable[..., str]:
    def make(user: User, **options: Any) -> str:
        options.setdefault("name", "test key")
        _token, raw_key = ApiToken.objects.issue(user=user, **options)
        return raw_key

    return make


def call_v1(
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    client_ip: str = "127.0.0.1",
) -> httpx.Response:
    """Send one request through the real ASGI application (the `/v1` router included).

    Running it under async_to_sync keeps the database work on the test's own connection.
    """

    async def send() -> httpx.Response:
        # httpx types ASGI apps with MutableMapping scopes, Django with dicts: the same thing.
        app = cast(Any, application)
        transport = httpx.ASGITransport(app=app, client=(client_ip, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            try:
                return await client.request(method, path, headers=headers)
            finally:
                # No lifespan here: close the upstream pool of this short-lived event loop.
                await upstream.close_session()

    return async_to_sync(send)()
