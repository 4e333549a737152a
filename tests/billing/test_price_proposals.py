"""Operators propose prices; Billing turns a proposal into a price, never the proposer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from accounts.models import User
from billing.models import Price, PriceProposal

pytestmark = pytest.mark.django_db
PROPOSALS = "/admin/billing/priceproposal/"


def member(make_user: Callable, role: str | None = None, **options: object) -> tuple[Client, User]:
    person = make_user(staff=True, **options)
    if role:
        person.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(person)
    return client, person


def propose(client: Client) -> PriceProposal:
    starts = timezone.now() - timedelta(days=1)
    response = client.post(
        f"{PROPOSALS}add/",
        {
            "model": "deepseek-chat",
            "input_per_million": "0.30",
            "cached_input_per_million": "",
            "output_per_million": "1.20",
            "request_fee": "0",
            "effective_from_0": starts.strftime("%Y-%m-%d"),
            "effective_from_1": starts.strftime("%H:%M:%S"),
            "note": "Upstream raised its price",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return PriceProposal.objects.latest("pk")


def decide(client: Client, proposal: PriceProposal, action: str) -> None:
    client.post(PROPOSALS, {"action": action, "_selected_action": [proposal.pk]})
    proposal.refresh_from_db()


def test_an_operator_proposes_and_billing_approves_it_into_a_price(make_user: Callable):
    operator, proposer = member(make_user, "Operator")
    billing, approver = member(make_user, "Billing")

    proposal = propose(operator)
    assert (proposal.input_per_million, proposal.proposed_by) == (300_000_000, proposer)
    assert not Price.objects.exists()
    decide(operator, proposal, "approve")
    assert proposal.status == "proposed"

    before = timezone.now()
    decide(billing, proposal, "approve")

    price = Price.objects.get()
    assert (proposal.status, proposal.decided_by, proposal.price) == ("approved", approver, price)
    assert (price.input_per_million, price.output_per_million) == (300_000_000, 1_200_000_000)
    assert price.effective_from >= before  # Never backdated.
    assert price.created_by == approver


def test_nobody_approves_their_own_proposal(make_user: Callable):
    admin, _superuser = member(make_user, superuser=True)
    proposal = propose(admin)

    decide(admin, proposal, "approve")

    assert proposal.status == "proposed" and not Price.objects.exists()


def test_billing_rejects_a_proposal(make_user: Callable):
    operator, _proposer = member(make_user, "Operator")
    billing, _approver = member(make_user, "Billing")
    proposal = propose(operator)

    decide(billing, proposal, "reject")
    decide(billing, proposal, "approve")

    assert proposal.status == "rejected" and not Price.objects.exists()
