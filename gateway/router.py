"""Choosing channels: by priority, weighted at random within a priority, skipping cooldowns."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

from django.conf import settings

from gateway.models import Channel

# Channel id -> monotonic time until which this process skips it. Per worker on purpose:
# a cooldown is a local observation, and it expires on its own.
cooldowns: dict[int, float] = {}


def cool_down(channel: Channel) -> None:
    cooldowns[channel.pk] = time.monotonic() + settings.GATEWAY_CHANNEL_COOLDOWN_SECONDS


def in_cooldown(channel: Channel) -> bool:
    return cooldowns.get(channel.pk, 0.0) > time.monotonic()


def attempt_order(channels: Sequence[Channel]) -> list[Channel]:
    """Every channel once: higher priority first, weighted shuffle within a priority.

    Channels in cooldown go last rather than nowhere, so a model whose channels all failed
    recently is still tried instead of refused.
    """

    def sort_key(channel: Channel) -> tuple[bool, int, float]:
        # Efraimidis-Spirakis: sorting by random() ** (1 / weight) is a weighted shuffle.
        draw = random.random() ** (1 / max(channel.weight, 1))  # noqa: S311 - not security
        return (in_cooldown(channel), -channel.priority, -draw)

    return sorted(channels, key=sort_key)
