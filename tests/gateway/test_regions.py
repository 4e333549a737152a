"""Data residency: users and plans restricted to regions, enforced by the router."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai
import pytest
from django.test import Client as DjangoClient

from accounts.models import Preferences, User
from billing.models import Plan, Price, Wallet
from gateway.models import UsageLog
from tests.fakes.upstream import FakeUpstream, Reply
from tests.gateway.conftest import MODEL

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
MESSAGES: Any = [{"role": "user", "content": "Say hello."}]


def client(base_url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=key, max_retries=0)


def restrict(user: User, *regions: str) -> None:
    Preferences.objects.update_or_create(user=user, defaults={"allowed_regions": list(regions)})


def test_a_restricted_user_is_only_ever_routed_to_channels_in_allowed_regions(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable
):
    with FakeUpstream() as china, FakeUpstream() as europe:
        # The forbidden channel has the higher priority, so the router would prefer it.
        make_channel("cn", fake=china, region="CN", priority=10)
        allowed = make_channel("eu", fake=europe, region="EU")
        restrict(customer, "EU", "US")

        for _attempt in range(5):
            client(live_gateway, api_key).chat.completions.create(model=MODEL, messages=MESSAGES)

        assert len(europe.requests) == 5
        assert china.requests == []
        assert set(UsageLog.objects.values_list("channel", flat=True)) == {allowed.pk}


def test_failover_never_leaves_the_allowed_regions(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable
):
    with FakeUpstream() as china, FakeUpstream() as europe:
        make_channel("cn", fake=china, region="CN")
        make_channel("eu", fake=europe, region="EU", priority=10)
        restrict(customer, "EU")
        europe.script(Reply(status=500))

        with pytest.raises(openai.InternalServerError):
            client(live_gateway, api_key).chat.completions.create(model=MODEL, messages=MESSAGES)

        assert (len(europe.requests), len(china.requests)) == (1, 0)


def test_an_unrestricted_user_uses_every_region(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable, upstream: FakeUpstream
):
    make_channel("cn", region="CN")

    client(live_gateway, api_key).chat.completions.create(model=MODEL, messages=MESSAGES)

    assert len(upstream.requests) == 1


def test_no_channel_in_an_allowed_region_is_a_clear_error_and_costs_nothing(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable, upstream: FakeUpstream
):
    make_channel("cn", region="CN")
    make_channel("unspecified")  # nobody can say where this one processes data
    restrict(customer, "EU")
    balance = Wallet.objects.get(pk=customer.pk).balance

    with pytest.raises(openai.PermissionDeniedError) as raised:
        client(live_gateway, api_key).chat.completions.create(model=MODEL, messages=MESSAGES)

    assert raised.value.status_code == 403
    assert raised.value.code == "no_channel_in_allowed_regions"
    assert "region" in raised.value.message
    assert upstream.requests == []
    assert Wallet.objects.get(pk=customer.pk).balance == balance
    assert Wallet.objects.get(pk=customer.pk).held == 0


def test_a_plans_regions_combine_with_the_users(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable
):
    with FakeUpstream() as singapore, FakeUpstream() as america:
        make_channel("sg", fake=singapore, region="SG", priority=10)
        make_channel("us", fake=america, region="US")
        plan = Plan.objects.create(name="us-only", allowed_regions=["US"])
        Wallet.objects.filter(pk=customer.pk).update(plan=plan)

        client(live_gateway, api_key).chat.completions.create(model=MODEL, messages=MESSAGES)
        assert (len(singapore.requests), len(america.requests)) == (0, 1)

        # The user allows only Singapore, the plan only the US: nothing is left.
        restrict(customer, "SG")
        with pytest.raises(openai.PermissionDeniedError):
            client(live_gateway, api_key).chat.completions.create(model=MODEL, messages=MESSAGES)
        assert (len(singapore.requests), len(america.requests)) == (0, 1)


def test_models_only_served_in_forbidden_regions_are_not_listed(
    live_gateway: str, api_key: str, customer: User, make_channel: Callable
):
    Price.objects.create(model="eu-model", input_per_million=1, output_per_million=1)
    make_channel("cn", region="CN")
    make_channel("eu", region="EU", served_models=["eu-model"])
    restrict(customer, "EU")

    listed = [model.id for model in client(live_gateway, api_key).models.list()]

    assert listed == ["eu-model"]


def test_the_console_records_the_region_choice_as_a_preference(user: User):
    browser = DjangoClient()
    browser.force_login(user)

    page = browser.get("/settings/preferences/")
    assert 'value="CN"' in page.content.decode()
    response = browser.post(
        "/settings/preferences/",
        {"language": "en", "time_zone": "UTC", "allowed_regions": ["EU", "SG"]},
    )

    assert response.status_code == 302
    assert Preferences.objects.get(user=user).allowed_regions == ["EU", "SG"]
    assert (
        browser.post(
            "/settings/preferences/",
            {"language": "en", "time_zone": "UTC", "allowed_regions": ["MARS"]},
        ).status_code
        == 200
    )
    assert Preferences.objects.get(user=user).allowed_regions == ["EU", "SG"]
