"""Per-key rate limits: requests per minute (RPM) and tokens per minute (TPM).

Fixed one-minute windows. With REDIS_URL the counters live in Redis, shared by every worker,
and each check is part of the one atomic script call that admits a request (gateway/holds.py);
without it (the embedded default, one process) they live in this process. If Redis cannot be
reached the request is refused with a 503: limits fail closed.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import defaultdict
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings

from accounts.models import ApiToken
from gateway.errors import ApiError

WINDOW_SECONDS = 60


def window(now: float | None = None) -> tuple[int, int]:
    """The current window's number and the seconds left in it."""
    now = time.time() if now is None else now
    return int(now // WINDOW_SECONDS), WINDOW_SECONDS - int(now % WINDOW_SECONDS)


def rate_limited(kind: str, retry_after: int) -> ApiError:
    message = f"Rate limit reached for this API key: {kind} per minute. Retry after {retry_after}s."
    return ApiError(
        429,
        message,
        type="rate_limit_error",
        code="rate_limit_exceeded",
        headers={"retry-after": str(retry_after)},
    )


LIMITER_DOWN = ApiError(
    503,
    "Rate limiting is unavailable, so requests are refused. Try again shortly.",
    type="server_error",
    code="rate_limiter_unavailable",
)


def async_redis(url: str) -> Any:
    """A client whose requests wait for a free connection rather than fail under a burst."""
    pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=64, timeout=5)
    return aioredis.Redis(connection_pool=pool)


class LocalLimiter:
    """Counters in this process, for the embedded default (a single web process)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, int, int], int] = defaultdict(int)
        self.lock = asyncio.Lock()

    async def admit(self, token: ApiToken) -> None:
        number, retry_after = window()
        async with self.lock:
            self.forget_before(number)
            if token.tpm_limit and self.counts["tpm", token.pk, number] >= token.tpm_limit:
                raise rate_limited("tokens", retry_after)
            self.counts["rpm", token.pk, number] += 1
            if token.rpm_limit and self.counts["rpm", token.pk, number] > token.rpm_limit:
                raise rate_limited("requests", retry_after)

    async def add_tokens(self, token: ApiToken, count: int) -> None:
        number, _retry_after = window()
        async with self.lock:
            self.counts["tpm", token.pk, number] += count

    def forget_before(self, number: int) -> None:
        for key in [key for key in self.counts if key[2] < number]:
            del self.counts[key]


def limit_keys(token: ApiToken, number: int) -> list[str]:
    """The key's RPM and TPM counters in Redis for window `number`."""
    return [f"tokengate:rpm:{token.pk}:{number}", f"tokengate:tpm:{token.pk}:{number}"]


class RedisLimiter:
    """Counts served tokens in Redis; admission (RPM and TPM checks) is in gateway/holds.py,
    in the same script call as the request's hold."""

    def __init__(self, url: str) -> None:
        self.client: Any = async_redis(url)

    async def add_tokens(self, token: ApiToken, count: int) -> None:
        number, _retry_after = window()
        key = limit_keys(token, number)[1]
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                await pipe.incrby(key, count).expire(key, WINDOW_SECONDS * 2).execute()
        except aioredis.RedisError:
            # The tokens were already served: a missed count only loosens one window.
            return


# One limiter per event loop: redis.asyncio connections belong to the loop that made them.
limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LocalLimiter | RedisLimiter] = (
    weakref.WeakKeyDictionary()
)


def limiter() -> LocalLimiter | RedisLimiter:
    loop = asyncio.get_running_loop()
    if loop not in limiters:
        url = settings.REDIS_URL
        limiters[loop] = RedisLimiter(url) if url else LocalLimiter()
    return limiters[loop]
