"""The shared cache: Redis, falling back to this process's memory while Redis is down.

The console must keep working through a Redis outage (sessions live in the database; the
cache holds allauth's rate limits and little else). Rather than fail every sign-in, each
worker then keeps those counters itself: limits become per worker for the outage, not off.
The gateway's own rate limits do not use this cache: they fail closed (gateway/limits.py).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class RedisWithLocalFallback(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self.local = LocMemCache("redis-fallback", {"TIMEOUT": params.get("TIMEOUT", 300)})

    def fall_back(self, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(super(), name)(*args, **kwargs)
        except RedisError:
            logger.warning("Redis is unreachable; the cache falls back to this process")
            return getattr(self.local, name)(*args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> Any:
        return self.fall_back("add", *args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self.fall_back("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> Any:
        return self.fall_back("set", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> Any:
        return self.fall_back("touch", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self.fall_back("delete", *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> Any:
        return self.fall_back("get_many", *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> Any:
        return self.fall_back("has_key", *args, **kwargs)

    def incr(self, *args: Any, **kwargs: Any) -> Any:
        return self.fall_back("incr", *args, **kwargs)

    def set_many(self, *args: Any, **kwargs: Any) -> Any:
        return self.fall_back("set_many", *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> Any:
        return self.fall_back("delete_many", *args, **kwargs)

    def clear(self) -> Any:
        return self.fall_back("clear")
