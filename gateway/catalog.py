"""In-process caches of what every /v1 request reads: keys, channels, prices, user settings.

The database stays the source of truth. Each entry lives at most CACHE_SECONDS, so a key
disabled (or a channel, price or plan changed) in another process takes effect everywhere
within that time; a change saved in this process drops the entry at once (signals.py). A miss
loads from the database in Django's sync thread, once per entry however many requests wait
for it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from asgiref.sync import sync_to_async
from django.utils import timezone

from accounts.models import ApiToken, Preferences, lookup_prefix_of
from billing.models import Price, Wallet
from gateway import regions
from gateway.models import Channel

CACHE_SECONDS = 1.0


@dataclass(frozen=True)
class UserSettings:
    """What the gateway needs to know about a key's owner, besides the key itself."""

    plan_id: int | None
    multiplier: Decimal
    log_content: bool
    allowed_regions: set[str] | None  # None: no residency restriction


@dataclass(frozen=True)
class Routing:
    """Enabled channels and every price version, as one consistent snapshot."""

    channels: list[Channel]
    # model -> its price versions, oldest first; future versions included.
    prices: dict[str, list[Price]]

    def channels_open_to(self, plan_id: int | None) -> list[Channel]:
        return [channel for channel in self.channels if channel.plan_id in (None, plan_id)]

    def channels_for(self, model: str, plan_id: int | None) -> list[Channel]:
        return [
            channel for channel in self.channels_open_to(plan_id) if model in channel.served_models
        ]

    def price(self, model: str) -> Price | None:
        """The version in force now: the latest that took effect (as Price.objects.current)."""
        now = timezone.now()
        in_force = [price for price in self.prices.get(model, []) if price.effective_from <= now]
        return in_force[-1] if in_force else None


class Cache:
    """Entries that expire after CACHE_SECONDS; concurrent misses share one load."""

    def __init__(self, load: Callable[[Any], Any]) -> None:
        self.load = sync_to_async(load)
        self.entries: dict[Any, tuple[float, Any]] = {}
        self.loading: dict[Any, asyncio.Future[Any]] = {}

    async def get(self, key: Any) -> Any:
        entry = self.entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        if key not in self.loading:
            self.loading[key] = asyncio.ensure_future(self.refresh(key))
        return await asyncio.shield(self.loading[key])

    async def refresh(self, key: Any) -> Any:
        try:
            value = await self.load(key)
            self.entries[key] = (time.monotonic() + CACHE_SECONDS, value)
            return value
        finally:
            del self.loading[key]

    def forget(self, key: Any = None) -> None:
        if key is None:
            self.entries.clear()
        else:
            self.entries.pop(key, None)


def usable_models(routing: Routing, owner: UserSettings) -> dict[str, list[Channel]]:
    """Each model the owner may use, with the channels that may serve it to them: served by
    an enabled channel open to their plan, in a region they allow, and priced."""
    usable: dict[str, list[Channel]] = {}
    open_channels = regions.within(routing.channels_open_to(owner.plan_id), owner.allowed_regions)
    for channel in open_channels:
        for model in channel.served_models:
            if routing.price(model) is not None:
                usable.setdefault(model, []).append(channel)
    return dict(sorted(usable.items()))


def load_token(lookup_prefix: str) -> ApiToken | None:
    return ApiToken.objects.select_related("user").filter(lookup_prefix=lookup_prefix).first()


def load_user_settings(user_id: int) -> UserSettings:
    wallet = Wallet.objects.select_related("plan").filter(pk=user_id).first()
    plan = wallet.plan if wallet else None
    preferences = Preferences.objects.filter(user_id=user_id).first()
    return UserSettings(
        plan_id=plan.pk if plan else None,
        multiplier=wallet.multiplier if wallet else Decimal(1),
        log_content=bool(preferences and preferences.content_logging),
        allowed_regions=regions.allowed_regions(
            preferences.allowed_regions if preferences else [],
            plan.allowed_regions if plan else [],
        ),
    )


def load_routing(_key: None) -> Routing:
    prices: dict[str, list[Price]] = {}
    for price in Price.objects.order_by("effective_from", "id"):
        prices.setdefault(price.model, []).append(price)
    return Routing(channels=list(Channel.objects.filter(enabled=True)), prices=prices)


tokens = Cache(load_token)
user_settings = Cache(load_user_settings)
routing = Cache(load_routing)


async def find_token(raw_key: str) -> ApiToken | None:
    """The usable key matching `raw_key`, or None; its hash is compared in constant time."""
    prefix = lookup_prefix_of(raw_key)
    token: ApiToken | None = await tokens.get(prefix) if prefix else None
    return token if token is not None and token.accepts(raw_key) else None


async def get_routing() -> Routing:
    result: Routing = await routing.get(None)
    return result


async def get_user_settings(user_id: int) -> UserSettings:
    result: UserSettings = await user_settings.get(user_id)
    return result


async def models_for_key(token: ApiToken) -> list[str]:
    """Models the key may use (what /v1/models lists and the playground offers)."""
    routing_now = await get_routing()
    owner = await get_user_settings(token.user_id)
    return [model for model in usable_models(routing_now, owner) if token.allows_model(model)]


def forget_all() -> None:
    for cache in (tokens, user_settings, routing):
        cache.forget()
