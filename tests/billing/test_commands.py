"""Operator commands: credit, balance, set_price."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from billing.models import LedgerEntry, Price, Wallet

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_credit_adds_an_adjustment_with_the_operator_and_reason(make_user):
    customer, operator = make_user("c@example.com"), make_user("ops@example.com", staff=True)

    output = run(
        "credit",
        "--email",
        "c@example.com",
        "--amount",
        "12.50",
        "--reason",
        "launch gift",
        "--operator",
        "ops@example.com",
    )

    assert "balance 12.50" in output
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount, entry.reason) == ("adjustment", 12_500_000_000, "launch gift")
    assert entry.actor == operator
    assert Wallet.objects.get(pk=customer.pk).balance == 12_500_000_000


def test_credit_with_the_same_idempotency_key_credits_once(make_user):
    make_user("c@example.com")
    for _ in range(2):
        run(
            "credit",
            "--email",
            "c@example.com",
            "--amount",
            "1",
            "--reason",
            "r",
            "--idempotency-key",
            "batch-7",
        )

    assert LedgerEntry.objects.count() == 1


def test_credit_refuses_bad_amounts_overdrafts_and_unknown_users(make_user):
    make_user("c@example.com")

    with pytest.raises(CommandError, match="Not an amount"):
        run("credit", "--email", "c@example.com", "--amount", "ten", "--reason", "r")
    with pytest.raises(CommandError, match="below zero"):
        run("credit", "--email", "c@example.com", "--amount", "-1", "--reason", "r")
    with pytest.raises(CommandError, match="No user"):
        run("credit", "--email", "ghost@example.com", "--amount", "1", "--reason", "r")
    assert not LedgerEntry.objects.exists()


def test_balance_prints_balance_and_held_in_the_platform_currency(make_user):
    make_user("c@example.com")
    run("credit", "--email", "c@example.com", "--amount", "3.25", "--reason", "r")

    output = run("balance", "--email", "c@example.com")

    assert output.splitlines() == ["balance 3.25 USD", "held 0.00 USD", "available 3.25 USD"]


def test_set_price_adds_a_version_and_keeps_the_old_one(make_user):
    run("set_price", "--model", "deepseek-chat", "--input", "0.27", "--output", "1.10")
    run(
        "set_price",
        "--model",
        "deepseek-chat",
        "--input",
        "0.30",
        "--output",
        "1.20",
        "--cached-input",
        "0.07",
        "--request-fee",
        "0.0001",
    )

    current = Price.objects.current("deepseek-chat")
    assert current is not None
    assert (current.input_per_million, current.cached_input_per_million) == (
        300_000_000,
        70_000_000,
    )
    assert current.request_fee == 100_000
    assert Price.objects.filter(model="deepseek-chat").count() == 2


def test_set_price_refuses_negative_prices():
    with pytest.raises(CommandError, match="negative"):
        run("set_price", "--model", "m", "--input", "-1", "--output", "1")
    assert not Price.objects.exists()
