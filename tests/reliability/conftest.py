"""Fixtures for the reliability matrix (docs/reliability.md).

The gateway fixtures are shared with tests/gateway; `v1` sends one request through the real
ASGI application in-process, for rows that never need a network socket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.db import OperationalError, connections
from django.db.models import Sum

from billing import ledger
from billing.models import Hold, LedgerEntry, Wallet
from config.asgi import application
from gateway.models import UsageLog
from gateway.upstream import close_session
from tests.gateway.conftest import (  # noqa: F401 (fixtures)
    MODEL,
    api_key,
    customer,
    live_gateway,
    make_channel,
    serve_gateway,
    upstream,
)


def v1(
    path: str,
    *,
    content: bytes | None = None,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
    method: str = "POST",
) -> httpx.Response:
    """One request through the real ASGI application, on the test's own database connection."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=cast(Any, application), client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            try:
                return await client.request(
                    method, path, content=content, json=json_body, headers=headers, timeout=30
                )
            finally:
                await close_session()  # no lifespan in this short-lived loop

    return async_to_sync(send)()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def assert_openai_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    assert {"type", "param", "code"} <= error.keys()
    return cast(dict[str, Any], error)


def assert_ledger_invariants() -> None:
    """Balance = sum of entries, held = open holds, nothing negative, one charge per request."""
    assert ledger.find_mismatches() == []
    assert not Wallet.objects.filter(balance__lt=0).exists()
    assert not Wallet.objects.filter(held__lt=0).exists()
    charges = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CHARGE)
    assert charges.count() == charges.values("request_id").distinct().count()
    for log in UsageLog.objects.all():
        assert UsageLog.objects.filter(request_id=log.request_id).count() == 1
        hold = Hold.objects.get(request_id=log.request_id)
        assert hold.status in {Hold.Status.SETTLED, Hold.Status.RELEASED}


def balance_of(user_id: int) -> int:
    return Wallet.objects.get(pk=user_id).balance


def charged_total() -> int:
    return -(LedgerEntry.objects.filter(kind="charge").aggregate(t=Sum("amount"))["t"] or 0)


@pytest.fixture
def nothing_charged(customer: Any) -> Callable[[], None]:  # noqa: F811
    """Call it at the end of a test: the customer's money and the ledger are untouched."""
    before = balance_of(customer.pk)
    entries = LedgerEntry.objects.count()

    def check() -> None:
        assert balance_of(customer.pk) == before
        assert LedgerEntry.objects.count() == entries
        assert not Hold.objects.filter(status=Hold.Status.OPEN).exists()
        assert_ledger_invariants()

    return check


@contextmanager
def database_down() -> Iterator[None]:
    """The database refuses every connection and every cursor, on every thread.

    This is what psycopg and sqlite3 do when the server is gone or the file unreachable
    (OperationalError from the driver), modelled at Django's driver boundary so the same test
    runs on SQLite and PostgreSQL.
    """
    wrapper = type(connections["default"])

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused: the database is down")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(wrapper, "get_new_connection", refuse)
        patch.setattr(wrapper, "create_cursor", refuse)
        yield
