"""Price proposals: Operators propose, Billing approves into a real price (or rejects).

A price is never backdated: an approval after the proposed start takes effect at once.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from billing.models import Price, PriceProposal


class ProposalRefused(Exception):
    """A decision the proposal's state or the four-eyes rule does not allow."""


def approve_proposal(proposal: PriceProposal, *, actor: User) -> Price:
    check_decidable(proposal, actor=actor)
    with transaction.atomic():
        price = Price.objects.create(
            model=proposal.model,
            input_per_million=proposal.input_per_million,
            cached_input_per_million=proposal.cached_input_per_million,
            output_per_million=proposal.output_per_million,
            request_fee=proposal.request_fee,
            effective_from=max(proposal.effective_from, timezone.now()),
            created_by=actor,
        )
        decide(proposal, actor=actor, status=PriceProposal.Status.APPROVED, price=price)
    return price


def reject_proposal(proposal: PriceProposal, *, actor: User) -> None:
    check_decidable(proposal, actor=actor)
    decide(proposal, actor=actor, status=PriceProposal.Status.REJECTED)


def check_decidable(proposal: PriceProposal, *, actor: User) -> None:
    if proposal.status != PriceProposal.Status.PROPOSED:
        raise ProposalRefused(_("This proposal has already been decided."))
    if proposal.proposed_by_id == actor.pk:
        raise ProposalRefused(_("Someone other than the proposer decides on a price."))


def decide(
    proposal: PriceProposal, *, actor: User, status: str, price: Price | None = None
) -> None:
    proposal.status = status
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.price = price
    proposal.save(update_fields=["status", "decided_by", "decided_at", "price"])
