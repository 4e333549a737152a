"""Rate limits and holds in Redis: one atomic script call admits a request.

With REDIS_URL set, Redis keeps for each wallet a mirror of its balance (with the version
that ledger.balance_changed reports, so a late report never overwrites a newer one), the sum
of open holds, and each hold with its expiry. A request is admitted when its key is within its
RPM/TPM limits and the balance minus open holds covers its worst-case cost; the hold goes when
its settlement has committed (or when it expires, if its worker died). PostgreSQL stays the
source of truth: an unknown or lost mirror is reloaded from it, and settlement never charges
more than the balance there.

Redis numbers are exact integers up to 2**53 nano-units (about 9 million in the platform
currency) per wallet, far above any prepaid balance.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Iterable
from typing import Any

import redis
import redis.asyncio as aioredis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import Max

from accounts.models import ApiToken
from billing.models import LedgerEntry, Wallet
from gateway import limits
from gateway.errors import INSUFFICIENT_BALANCE, ApiError
from gateway.limits import async_redis

logger = logging.getLogger(__name__)

ADMITTED, TOO_MANY_REQUESTS, TOO_MANY_TOKENS, NOT_COVERED, BALANCE_UNKNOWN = range(5)

# KEYS: RPM counter, TPM counter, balance mirror (hash b, v), held sum, holds by expiry (zset),
# hold amounts (hash). ARGV: RPM limit, TPM limit (0 = none), counter expiry, amount,
# request id, now (ms), hold expiry (ms).
ADMIT_SCRIPT = """
if tonumber(ARGV[2]) > 0 and tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[2]) then
  return 2
end
local balance = redis.call('HGET', KEYS[3], 'b')
if not balance then return 4 end
local requests = redis.call('INCR', KEYS[1])
if requests == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
if tonumber(ARGV[1]) > 0 and requests > tonumber(ARGV[1]) then return 1 end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', ARGV[6])) do
  redis.call('DECRBY', KEYS[4], redis.call('HGET', KEYS[6], id) or '0')
  redis.call('HDEL', KEYS[6], id)
  redis.call('ZREM', KEYS[5], id)
end
if tonumber(balance) - tonumber(redis.call('GET', KEYS[4]) or '0') < tonumber(ARGV[4]) then
  return 3
end
redis.call('INCRBY', KEYS[4], ARGV[4])
redis.call('ZADD', KEYS[5], ARGV[7], ARGV[5])
redis.call('HSET', KEYS[6], ARGV[5], ARGV[4])
return 0
"""

# After balances change or holds settle, in one call. ARGV[1]: the number n of wallets to
# mirror; KEYS[1..n]: their balance mirrors, ARGV[2..2n+1]: balance, version pairs (only a
# newer version replaces a mirror). Then each hold to drop: three KEYS (held sum, holds by
# expiry, hold amounts) and one ARGV (request id).
UPDATE_SCRIPT = """
local wallets = tonumber(ARGV[1])
for i = 1, wallets do
  if tonumber(redis.call('HGET', KEYS[i], 'v') or '-1') < tonumber(ARGV[2 * i + 1]) then
    redis.call('HSET', KEYS[i], 'b', ARGV[2 * i], 'v', ARGV[2 * i + 1])
  end
end
local key = wallets
for i = 2 * wallets + 2, #ARGV do
  if redis.call('ZREM', KEYS[key + 2], ARGV[i]) == 1 then
    redis.call('DECRBY', KEYS[key + 1], redis.call('HGET', KEYS[key + 3], ARGV[i]) or '0')
    redis.call('HDEL', KEYS[key + 3], ARGV[i])
  end
  key = key + 3
end
return 0
"""


def update_arguments(
    balances: Iterable[tuple[int, int, int]], holds: Iterable[tuple[int, str]]
) -> tuple[list[str], list[int | str]]:
    """UPDATE_SCRIPT's keys and arguments: mirror balances (user id, balance, version), then
    drop holds (user id, request id)."""
    balances, holds = list(balances), list(holds)
    keys = [wallet_keys(user_id)[0] for user_id, _balance, _version in balances]
    args: list[int | str] = [len(balances)]
    for _user_id, balance, version in balances:
        args += [balance, version]
    for user_id, request_id in holds:
        keys += wallet_keys(user_id)[1:]
        args.append(request_id)
    return keys, args


def wallet_keys(user_id: int) -> list[str]:
    """Balance mirror, held sum, holds by expiry, hold amounts."""
    prefix = f"tokengate:wallet:{user_id}"
    return [f"{prefix}:balance", f"{prefix}:held", f"{prefix}:holds", f"{prefix}:hold-amounts"]


def current_balance(user_id: int) -> tuple[int, int]:
    """The available balance in the database and its version, for a mirror Redis lacks."""
    wallet = Wallet.objects.for_user(user_id)
    version = LedgerEntry.objects.filter(wallet_id=user_id).aggregate(latest=Max("id"))["latest"]
    return wallet.balance - wallet.held, version or 0


class RedisHolds:
    """Admission for one event loop (redis.asyncio connections belong to their loop)."""

    def __init__(self, url: str) -> None:
        self.client: Any = async_redis(url)
        self.admit_script = self.client.register_script(ADMIT_SCRIPT)
        self.update_script = self.client.register_script(UPDATE_SCRIPT)

    async def admit(self, token: ApiToken, *, amount: int, request_id: str) -> None:
        """Count the request against the key's limits and hold `amount`, or refuse it."""
        number, retry_after = limits.window()
        now_ms = int(time.time() * 1000)
        expires_ms = now_ms + int(settings.HOLD_TTL.total_seconds() * 1000)
        keys = limits.limit_keys(token, number) + wallet_keys(token.user_id)
        args: list[int | str] = [token.rpm_limit or 0, token.tpm_limit or 0]
        args += [limits.WINDOW_SECONDS * 2, amount, request_id, now_ms, expires_ms]
        try:
            verdict = await self.admit_script(keys=keys, args=args)
            if verdict == BALANCE_UNKNOWN:
                balance, version = await sync_to_async(current_balance)(token.user_id)
                await self.update_script(*update_arguments([(token.user_id, balance, version)], []))
                verdict = await self.admit_script(keys=keys, args=args)
        except aioredis.RedisError as error:
            logger.warning("Redis refused admission (%r): answering 503", error)
            raise limits.LIMITER_DOWN from error
        refusals: dict[int, ApiError] = {
            TOO_MANY_REQUESTS: limits.rate_limited("requests", retry_after),
            TOO_MANY_TOKENS: limits.rate_limited("tokens", retry_after),
            NOT_COVERED: INSUFFICIENT_BALANCE,
            BALANCE_UNKNOWN: limits.LIMITER_DOWN,
        }
        if verdict in refusals:
            raise refusals[verdict]

    async def settled(
        self, balances: Iterable[tuple[int, int, int]], holds: Iterable[tuple[int, str]]
    ) -> None:
        """After a settlement batch committed: mirror each wallet's new balance (user id,
        balance, version), then drop the settled holds (user id, request id), in one call.
        Anything missed (Redis down) is fixed by the next change or reload of the mirror, and
        by the holds' expiry."""
        try:
            await self.update_script(*update_arguments(balances, holds))
        except aioredis.RedisError as error:
            logger.warning("Could not update Redis after a settlement (%r)", error)


# Synchronous side, for the balance_changed receiver: one client per process.
sync_clients: dict[str, Any] = {}


def sync_client() -> Any:
    url = settings.REDIS_URL
    if url not in sync_clients:
        sync_clients[url] = redis.Redis.from_url(url)
    return sync_clients[url]


def mirror_balance(user_id: int, balance: int, version: int) -> None:
    """Tell Redis a committed balance; if Redis is down the next change (or a reload) fixes it."""
    keys, args = update_arguments([(user_id, balance, version)], [])
    try:
        sync_client().register_script(UPDATE_SCRIPT)(keys, args)
    except redis.RedisError as error:
        logger.warning("Could not mirror the balance of wallet %s in Redis (%r)", user_id, error)


holders: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RedisHolds] = (
    weakref.WeakKeyDictionary()
)


def holder() -> RedisHolds:
    loop = asyncio.get_running_loop()
    if loop not in holders:
        holders[loop] = RedisHolds(settings.REDIS_URL)
    return holders[loop]
