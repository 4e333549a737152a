"""Holding, charging and logging /v1 requests through the billing API.

Every request that reserved money ends in exactly one settlement: charged (it produced
output) or released (it failed before any output), written with its usage log in the same
transaction. Where the hold lives depends on the deployment:

- with Redis (production), `gateway/holds.py` admits and holds in one script call, and
  settlements are group-committed by `gateway/settlement.py` through `record_settlements`;
- without it (the embedded default, one process), the hold is a row taken by
  `ledger.reserve`, and each request settles on its own through `ledger.settle`/`release`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Sum

from accounts.models import ApiToken
from billing import ledger
from billing.models import Price
from billing.money import Usage, cost_of
from gateway import regions
from gateway.errors import INSUFFICIENT_BALANCE, SPENDING_LIMIT_REACHED, model_not_found
from gateway.models import Channel, ContentLog, UsageLog
from gateway.validation import RequestSpec

# The parts of a request body that are its content (the rest is parameters).
PROMPT_FIELDS = ("messages", "prompt", "input", "tools")


def estimate_prompt_tokens(text: str) -> int:
    """A generous upper estimate for the hold: one token per three bytes, at least one."""
    return max(1, math.ceil(len(text.encode()) / 3))


def count_tokens(text: str) -> int:
    """The local count used when an upstream reports no usage: about four characters a token.

    Never zero, so an answer without usage is still billed, and based on what was actually
    sent, so it is never simply the whole hold.
    """
    return max(1, math.ceil(len(text) / 4))


@dataclass
class Call:
    """One /v1 request in flight, from its hold to its usage log."""

    request_id: str
    token: ApiToken
    spec: RequestSpec
    body: dict[str, Any]
    client_ip: str | None
    log_content: bool = False
    multiplier: Decimal = Decimal(1)
    price: Price | None = None
    hold: int = 0
    channels: list[Channel] = field(default_factory=list)
    channel: Channel | None = None
    status_code: int = 200
    first_token_ms: int | None = None
    error_class: str = ""

    @property
    def user_id(self) -> int:
        return self.token.user_id


def plan_call(
    call: Call, *, channels: list[Channel], allowed_regions: set[str] | None, price: Price | None
) -> None:
    """Fix the call's channels, price and worst-case hold, or refuse an unservable model."""
    channels = regions.route_within_allowed_regions(channels, allowed_regions)
    if not channels or price is None:
        raise model_not_found(call.spec.model)
    call.channels, call.price = channels, price
    worst_case = Usage(
        input_tokens=estimate_prompt_tokens(call.spec.prompt_text),
        output_tokens=call.spec.max_output_tokens,
    )
    call.hold = cost_of(worst_case, price.rates, multiplier=call.multiplier)


def check_spending_limit(call: Call) -> None:
    """A key with a spending limit may not start a request that could take it past the limit."""
    if call.token.spending_limit is None:
        return
    spent = UsageLog.objects.filter(api_token=call.token).aggregate(total=Sum("cost"))["total"]
    if (spent or 0) + call.hold > call.token.spending_limit:
        raise SPENDING_LIMIT_REACHED


def reserve(call: Call) -> None:
    """The embedded default's hold: a row in the database."""
    try:
        ledger.reserve(user_id=call.user_id, amount=call.hold, request_id=call.request_id)
    except ledger.InsufficientBalance:
        raise INSUFFICIENT_BALANCE from None


@dataclass
class Settlement:
    """How a request ended, ready to be written: charged at `usage`, or released (None)."""

    call: Call
    usage: Usage | None
    cost: int
    latency_ms: int
    counted_locally: bool = False
    output_text: str = ""


def charged(call: Call, *, usage: Usage | None, output_text: str, latency_ms: int) -> Settlement:
    """The settlement of a request that produced output, at its usage or a local count."""
    counted_locally = usage is None
    if usage is None:
        usage = Usage(
            input_tokens=count_tokens(call.spec.prompt_text),
            output_tokens=count_tokens(output_text) if output_text else 0,
        )
    assert call.price is not None
    cost = cost_of(usage, call.price.rates, multiplier=call.multiplier)
    return Settlement(call, usage, cost, latency_ms, counted_locally, output_text)


def released(call: Call, *, latency_ms: int) -> Settlement:
    """The settlement of a request that failed before any output: nothing charged."""
    return Settlement(call, None, 0, latency_ms)


def settle_one(settlement: Settlement) -> None:
    """The embedded default: settle one request against its hold row, with its logs."""
    call = settlement.call
    with transaction.atomic():
        if settlement.usage is None:
            ledger.release(request_id=call.request_id)
            charged_amount = 0
        else:
            entry = ledger.settle(request_id=call.request_id, cost=settlement.cost)
            charged_amount = -entry.amount
        write_logs([(settlement, charged_amount)])


def record_settlements(settlements: list[Settlement]) -> list[tuple[int, int, int]]:
    """With holds in Redis: charge or release a batch of requests, with their logs, at once.

    On PostgreSQL one statement writes it all (ledger.settle_batch_in_one_statement with the
    logs as more CTEs); run outside a transaction it is its own, so a batch costs one round
    trip. Returns the wallets' new balances (user id, balance, version) for Redis, unless the
    ledger announced them itself (ledger.balance_changed).
    """
    if connection.vendor == "postgresql":
        return ledger.newest_balances(settle_in_one_statement(settlements))
    with transaction.atomic():
        paid = ledger.settle_batch([ledger_settlement(item) for item in settlements])
        write_logs([(item, paid[item.call.request_id]) for item in settlements])
    return []


# The gateway's part of the settlement statement: the batch's usage logs (each with what its
# request paid) and consented content logs, as more CTEs of ledger.settle_batch_in_one_statement.
LOGS_SQL = """,
usage_logs AS (
    INSERT INTO gateway_usagelog ({usage_columns}, cost)
    SELECT rows.*, COALESCE(charged.paid, 0) FROM {usage_rows} JOIN charged USING (request_id)
),
content_logs AS (INSERT INTO gateway_contentlog ({content_columns}) SELECT * FROM {content_rows})
"""


def settle_in_one_statement(settlements: list[Settlement]) -> list[ledger.Charge]:
    usage_logs, content_logs = log_rows([(item, 0) for item in settlements])
    usage_columns, usage_rows, usage_params = as_arrays(UsageLog, usage_logs, leave_out="cost")
    content_columns, content_rows, content_params = as_arrays(ContentLog, content_logs)
    logs_sql = LOGS_SQL.format(
        usage_columns=usage_columns,
        usage_rows=usage_rows,
        content_columns=content_columns,
        content_rows=content_rows,
    )
    return ledger.settle_batch_in_one_statement(
        [ledger_settlement(item) for item in settlements],
        also=(logs_sql, usage_params + content_params),
    )


def as_arrays(
    model: type[models.Model], rows: Sequence[models.Model], *, leave_out: str = ""
) -> tuple[str, str, list[list[Any]]]:
    """Unsaved rows of `model` as one array parameter per column, their values prepared by
    their fields as bulk_create would: the column names, `unnest(…) AS rows (…)` and the
    arrays. The SQL is the same for any number of rows."""
    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.column != leave_out
    ]
    names = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields)
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    params = [
        [field.get_db_prep_save(field.pre_save(row, add=True), connection) for row in rows]
        for field in fields
    ]
    return names, f"unnest({arrays}) AS rows ({names})", params


def ledger_settlement(settlement: Settlement) -> ledger.Settlement:
    call = settlement.call
    cost = None if settlement.usage is None else settlement.cost
    return ledger.Settlement(call.request_id, call.user_id, held=call.hold, cost=cost)


def write_logs(settlements: list[tuple[Settlement, int]]) -> None:
    """Usage logs (and consented content logs) of settled requests."""
    usage_logs, content_logs = log_rows(settlements)
    UsageLog.objects.bulk_create(usage_logs)
    ContentLog.objects.bulk_create(content_logs)


def log_rows(settlements: list[tuple[Settlement, int]]) -> tuple[list[UsageLog], list[ContentLog]]:
    """The unsaved usage logs of settled requests (each with what it paid), and the content
    logs of those whose owners opted in."""
    usage_logs, content_logs = [], []
    for settlement, cost in settlements:
        call, usage = settlement.call, settlement.usage or Usage()
        usage_logs.append(
            UsageLog(
                request_id=call.request_id,
                user_id=call.user_id,
                api_token_id=call.token.pk,
                endpoint=call.spec.endpoint,
                model=call.spec.model,
                channel=call.channel,
                stream=call.spec.stream,
                status_code=call.status_code,
                latency_ms=settlement.latency_ms,
                first_token_ms=call.first_token_ms,
                input_tokens=usage.input_tokens,
                cached_input_tokens=usage.cached_input_tokens,
                output_tokens=usage.output_tokens,
                usage_counted_locally=settlement.counted_locally,
                cost=cost,
                error_class=call.error_class,
                client_ip=call.client_ip,
            )
        )
        if call.log_content and settlement.usage is not None:
            prompt = {key: call.body[key] for key in PROMPT_FIELDS if key in call.body}
            content_logs.append(
                ContentLog.sealed(
                    request_id=call.request_id,
                    user_id=call.user_id,
                    prompt=json.dumps(prompt, ensure_ascii=False),
                    response=settlement.output_text,
                )
            )
    return usage_logs, content_logs
