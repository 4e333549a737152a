from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from billing.models import Plan, Price, Wallet
from billing.money import Usage
from billing.pricing import UnpricedModel, price_request

pytestmark = pytest.mark.django_db
USAGE = Usage(input_tokens=1_000_000, cached_input_tokens=0, output_tokens=1_000_000)


def test_a_request_costs_the_price_in_force_times_the_users_plan(user: User):
    Price.objects.create(model="glm-4", input_per_million=10**9, output_per_million=2 * 10**9)
    Wallet.objects.for_user(user.pk)

    assert price_request(user_id=user.pk, model="glm-4", usage=USAGE) == 3 * 10**9

    Wallet.objects.filter(pk=user.pk).update(plan=Plan.objects.create(name="pro", multiplier="0.5"))
    assert price_request(user_id=user.pk, model="glm-4", usage=USAGE) == 15 * 10**8


def test_a_price_change_applies_to_requests_after_it_only(user: User):
    change = timezone.now()
    Price.objects.create(
        model="m", input_per_million=1, output_per_million=1, effective_from=change - timedelta(1)
    )
    Price.objects.create(
        model="m", input_per_million=5, output_per_million=5, effective_from=change
    )

    before = price_request(
        user_id=user.pk, model="m", usage=USAGE, at=change - timedelta(seconds=1)
    )
    after = price_request(user_id=user.pk, model="m", usage=USAGE, at=change)

    assert (before, after) == (2, 10)


def test_a_model_without_a_price_cannot_be_billed(user: User):
    with pytest.raises(UnpricedModel):
        price_request(user_id=user.pk, model="unpriced", usage=USAGE)
