"""Fuzzing row: schemathesis against the hand-written OpenAPI schema of /v1
(gateway/openapi.yaml), in-process with a real key, a served model and a fake upstream.
Whatever it sends: never a 5xx from the gateway itself, every answer as documented, and a
ledger that adds up afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import schemathesis
import yaml
from asgiref.sync import async_to_sync
from hypothesis import settings

from config.asgi import application
from gateway import upstream
from tests.reliability.conftest import MODEL, assert_ledger_invariants

pytestmark = pytest.mark.django_db

SPEC = yaml.safe_load((Path(__file__).parents[2] / "gateway" / "openapi.yaml").read_text())
# Fuzz the served model (and one that is not) rather than random names that all get 404.
SPEC["components"]["schemas"]["Model"] = {"type": "string", "enum": [MODEL, "not-served"]}
schema = schemathesis.openapi.from_dict(SPEC)
schema.app = application  # for schemathesis's own probes (methods the schema leaves out)
PLACEHOLDER = "sk-placeholder-for-the-tests-key"


@schema.auth()
class ApiKey:
    """Tells schemathesis the requests are authenticated; `send` puts the real key in."""

    def get(self, case: Any, context: Any) -> str:
        return PLACEHOLDER

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def send(case: Any, api_key: str) -> httpx.Response:
    """The case through the real ASGI app, with database work on the test's connection."""
    kwargs = case.as_transport_kwargs(base_url="http://localhost")
    headers = {
        name: value.replace(PLACEHOLDER, api_key) if isinstance(value, str) else value
        for name, value in (kwargs.get("headers") or {}).items()
    }

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=cast(Any, application))
        async with httpx.AsyncClient(transport=transport, timeout=30) as client:
            try:
                return await client.request(
                    kwargs["method"],
                    kwargs["url"],
                    headers=headers,
                    params=kwargs.get("params"),
                    content=kwargs.get("data"),
                    json=kwargs.get("json"),
                )
            finally:
                await upstream.close_session()  # no lifespan in this short-lived loop

    return async_to_sync(call)()


@pytest.fixture
def served(api_key: str, make_channel: Any, settings: Any) -> str:
    settings.UPSTREAM_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8"]
    make_channel()
    return api_key


@schema.parametrize()
@settings(max_examples=30)  # each example is a full request; the suite's budget is minutes
def test_v1_survives_fuzzing_as_documented(case: Any, served: str):
    response = send(case, served)
    # Business rules beyond the schema (a balance, a served model) refuse some valid shapes.
    case.validate_response(response, excluded_checks=[schemathesis.checks.positive_data_acceptance])
    assert_ledger_invariants()
