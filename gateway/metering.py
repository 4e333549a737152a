"""Holding, charging and logging one gateway request through the billing API.

These are synchronous (the ORM); the proxy runs them in a thread. Every request that
reserved money ends in exactly one of `charge` (it produced output) or `refund_hold`
(it failed before any output), each writing the request's usage log in the same transaction.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from accounts.models import ApiToken, Preferences
from billing import ledger
from billing.models import Price, Wallet
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
    price: Price | None = None
    channels: list[Channel] = field(default_factory=list)
    channel: Channel | None = None
    status_code: int = 200
    first_token_ms: int | None = None
    error_class: str = ""

    @property
    def user_id(self) -> int:
        return self.token.user_id


def open_call(call: Call) -> None:
    """Find the channels and price for the model, and hold the worst-case cost."""
    wallet = Wallet.objects.select_related("plan").filter(pk=call.user_id).first()
    plan_id = wallet.plan_id if wallet else None
    call.channels = [
        channel
        for channel in Channel.objects.serving(call.spec.model)
        if channel.plan_id is None or channel.plan_id == plan_id
    ]
    # Data residency (issue 9): keep only channels in the user's and plan's allowed regions.
    call.channels = regions.route_within_allowed_regions(
        call.channels, user_id=call.user_id, plan=wallet.plan if wallet else None
    )
    call.price = Price.objects.current(call.spec.model)
    call.log_content = Preferences.objects.filter(
        user_id=call.user_id, content_logging=True
    ).exists()
    if not call.channels or call.price is None:
        raise model_not_found(call.spec.model)
    worst_case = Usage(
        input_tokens=estimate_prompt_tokens(call.spec.prompt_text),
        output_tokens=call.spec.max_output_tokens,
    )
    multiplier = wallet.multiplier if wallet else Decimal(1)
    hold = cost_of(worst_case, call.price.rates, multiplier=multiplier)
    check_spending_limit(call.token, hold)
    try:
        ledger.reserve(user_id=call.user_id, amount=hold, request_id=call.request_id)
    except ledger.InsufficientBalance:
        raise INSUFFICIENT_BALANCE from None


def check_spending_limit(token: ApiToken, hold: int) -> None:
    """A key with a spending limit may not start a request that could take it past the limit."""
    if token.spending_limit is None:
        return
    spent = UsageLog.objects.filter(api_token=token).aggregate(total=Sum("cost"))["total"] or 0
    if spent + hold > token.spending_limit:
        raise SPENDING_LIMIT_REACHED


def charge(call: Call, *, usage: Usage | None, output_text: str, latency_ms: int) -> Usage:
    """Settle the request at its usage (or a local count) and log it, in one transaction.

    Returns the usage billed, for the key's tokens-per-minute count.
    """
    counted_locally = usage is None
    if usage is None:
        usage = Usage(
            input_tokens=count_tokens(call.spec.prompt_text),
            output_tokens=count_tokens(output_text) if output_text else 0,
        )
    assert call.price is not None
    wallet = Wallet.objects.select_related("plan").get(pk=call.user_id)
    cost = cost_of(usage, call.price.rates, multiplier=wallet.multiplier)
    with transaction.atomic():
        entry = ledger.settle(request_id=call.request_id, cost=cost)
        log(call, usage=usage, cost=-entry.amount, latency_ms=latency_ms, local=counted_locally)
        if call.log_content:
            keep_content(call, output_text)
    return usage


def keep_content(call: Call, output_text: str) -> None:
    """Store the prompt and response, encrypted, for a user who opted in to content logging."""
    prompt = {key: call.body[key] for key in PROMPT_FIELDS if key in call.body}
    ContentLog.sealed(
        request_id=call.request_id,
        user_id=call.user_id,
        prompt=json.dumps(prompt, ensure_ascii=False),
        response=output_text,
    ).save()


def refund_hold(call: Call, *, latency_ms: int) -> None:
    """The request failed before any output: release the hold and log the failure."""
    with transaction.atomic():
        ledger.release(request_id=call.request_id)
        log(call, usage=Usage(), cost=0, latency_ms=latency_ms, local=False)


def log(call: Call, *, usage: Usage, cost: int, latency_ms: int, local: bool) -> None:
    UsageLog.objects.create(
        request_id=call.request_id,
        user_id=call.user_id,
        api_token_id=call.token.pk,
        endpoint=call.spec.endpoint,
        model=call.spec.model,
        channel=call.channel,
        stream=call.spec.stream,
        status_code=call.status_code,
        latency_ms=latency_ms,
        first_token_ms=call.first_token_ms,
        input_tokens=usage.input_tokens,
        cached_input_tokens=usage.cached_input_tokens,
        output_tokens=usage.output_tokens,
        usage_counted_locally=local,
        cost=cost,
        error_class=call.error_class,
        client_ip=call.client_ip,
    )
