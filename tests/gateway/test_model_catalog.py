from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from accounts.models import Preferences, User
from billing.models import Plan, Price, Wallet
from billing.money import to_nanos
from gateway.models import Channel

pytestmark = pytest.mark.django_db


def channel(name: str, models: list[str], **fields: Any) -> Channel:
    values: dict[str, Any] = {"provider": "deepseek", "served_models": models}
    return Channel.objects.create(name=name, **{**values, **fields})


def price(model: str, *, days_ago: int = 0, **rates: str) -> Price:
    values = {"input_per_million": "1", "output_per_million": "2", **rates}
    return Price.objects.create(
        model=model,
        effective_from=timezone.now() - timedelta(days=days_ago),
        **{field: to_nanos(amount) for field, amount in values.items()},
    )


def catalog_of(client: Client, query: str = "") -> list[str]:
    response = client.get("/models/", {"q": query} if query else {})
    return [entry.model for entry in response.context["entries"]]


def test_the_catalog_lists_the_models_the_user_can_call(
    client: Client, make_user: Callable[..., User]
):
    me = make_user()
    vip = Plan.objects.create(name="vip")
    channel("main", ["chat-small", "unpriced", "eu-only"])
    channel("eu", ["eu-model"], region="EU")
    channel("vip", ["vip-model"], plan=vip)
    channel("off", ["disabled-model"], enabled=False)
    for model in ("chat-small", "eu-model", "vip-model", "disabled-model"):
        price(model)
    client.force_login(me)

    assert catalog_of(client) == ["chat-small", "eu-model"]

    preferences = Preferences.objects.for_user(me)
    preferences.allowed_regions = ["US"]
    preferences.save()
    assert catalog_of(client) == []


def test_prices_are_per_million_tokens_with_the_plan_multiplier(
    client: Client, make_user: Callable[..., User]
):
    me = make_user()
    wallet = Wallet.objects.for_user(me.pk)
    wallet.plan = Plan.objects.create(name="resale", multiplier=Decimal("1.5"))
    wallet.save()
    channel("main", ["chat-small"])
    price("chat-small", days_ago=2, input_per_million="9", output_per_million="9")
    price("chat-small", days_ago=1, cached_input_per_million="0.1", request_fee="0.000001")
    price("chat-small", days_ago=-1, input_per_million="7")
    client.force_login(me)

    entry = client.get("/models/").context["entries"][0]
    page = client.get("/models/").content.decode()

    assert (entry.input_per_million, entry.output_per_million) == (to_nanos("1.5"), to_nanos("3"))
    assert entry.cached_input_per_million == to_nanos("0.15")
    assert entry.request_fee == to_nanos("0.0000015")
    assert '<td class="number">1.50</td>' in page
    assert "0.0000015" in page


def test_the_catalog_shows_provider_and_context_size(
    client: Client, make_user: Callable[..., User]
):
    channel("a", ["chat-small", "chat-large"], context_windows={"chat-small": 65536})
    channel("b", ["chat-small"], provider="openai", context_windows={"chat-small": 32768})
    price("chat-small")
    price("chat-large")
    client.force_login(make_user())

    response = client.get("/models/")

    entries = {entry.model: entry for entry in response.context["entries"]}
    assert entries["chat-small"].providers == ["DeepSeek", "OpenAI"]
    assert entries["chat-small"].context_window == 32768
    assert entries["chat-large"].context_window is None
    assert "—" in response.content.decode()


def test_the_catalog_is_searchable_by_model_and_provider(
    client: Client, make_user: Callable[..., User]
):
    channel("a", ["deepseek-chat"])
    channel("b", ["gpt-4o-mini", "gpt-4o"], provider="openai")
    for model in ("deepseek-chat", "gpt-4o-mini", "gpt-4o"):
        price(model)
    client.force_login(make_user())

    assert catalog_of(client, "MINI") == ["gpt-4o-mini"]
    assert catalog_of(client, "openai") == ["gpt-4o", "gpt-4o-mini"]
    assert catalog_of(client, "nothing") == []
    assert "No model matches" in client.get("/models/?q=nothing").content.decode()


def test_create_channel_sets_context_sizes():
    call_command(
        "create_channel",
        "--name=ds",
        "--provider=mock",
        "--models=deepseek-chat",
        '--context-windows={"deepseek-chat": 65536}',
        stdout=None,
    )

    assert Channel.objects.get(name="ds").context_windows == {"deepseek-chat": 65536}


@pytest.mark.parametrize(
    "windows, error",
    [
        ('{"deepseek-chat": 0}', "context sizes in tokens"),
        ('{"deepseek-chat": "64k"}', "context sizes in tokens"),
        ("[65536]", "--context-windows must be a JSON object"),
    ],
)
def test_create_channel_refuses_context_sizes_that_are_not_positive_integers(
    windows: str, error: str
):
    with pytest.raises(CommandError, match=error):
        call_command(
            "create_channel",
            "--name=ds",
            "--provider=mock",
            "--models=deepseek-chat",
            f"--context-windows={windows}",
        )


def test_a_model_from_the_catalog_becomes_the_default_model(
    client: Client, make_user: Callable[..., User]
):
    me = make_user()
    channel("main", ["chat-small", "chat-large"])
    price("chat-small")
    price("chat-large")
    client.force_login(me)

    response = client.post("/models/default/", {"model": "chat-large"}, follow=True)

    assert Preferences.objects.for_user(me).default_model == "chat-large"
    assert "chat-large is now your default model." in response.content.decode()
    assert "Default</span>" in response.content.decode()


def test_only_a_model_the_user_may_call_can_become_the_default(
    client: Client, make_user: Callable[..., User]
):
    me = make_user()
    channel("off", ["disabled-model"], enabled=False)
    price("disabled-model")
    client.force_login(me)

    response = client.post("/models/default/", {"model": "disabled-model"})

    assert response.status_code == 404
    assert Preferences.objects.for_user(me).default_model == ""
