"""Group commit: settlements that finish together share one database transaction (on
PostgreSQL one prepared statement, see `metering.record_settlements`).

The first settlement is written at once; those that arrive while a write is running wait
and share the next one (commit-on-idle, no timer, so a lone request is never delayed by a
batching window). Each request's response completes only after its own commit, so nothing
delivered goes unbilled, and a crashed worker loses only requests it had not answered.
Their holds then expire in Redis (HOLD_TTL) and give the money back; the holds of written
settlements leave Redis right after the commit.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection

from gateway import metering
from gateway.holds import holder
from gateway.metering import Settlement

logger = logging.getLogger(__name__)

HEALTHY_SECONDS = 1.0


@dataclass
class Written:
    """What a batch write did: the request ids it could not write, and the wallets' new
    balances for Redis (user id, balance, version) that the ledger has not announced."""

    failed: set[str] = field(default_factory=set)
    balances: list[tuple[int, int, int]] = field(default_factory=list)


def write_batch(batch: list[Settlement]) -> Written:
    """Commit a batch. If the batch as a whole fails, each settlement is retried alone, so one
    bad row does not sink the others."""
    written = Written()
    try:
        written.balances += metering.record_settlements(batch)
    except Exception:
        logger.exception("A settlement batch of %d failed; retrying one by one", len(batch))
        drop_broken_connection()
        for item in batch:
            try:
                written.balances += metering.record_settlements([item])
            except Exception:
                logger.exception("Settlement of %s failed", item.call.request_id)
                drop_broken_connection()
                written.failed.add(item.call.request_id)
    return written


def drop_broken_connection() -> None:
    # This thread's connection outlives requests; after a database restart it must reconnect.
    if not connection.is_usable():
        connection.close()


def probe_database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        drop_broken_connection()
        raise


class GroupCommitter:
    """One per event loop: batches are written one after another in Django's sync thread."""

    def __init__(self) -> None:
        self.waiting: list[tuple[Settlement, asyncio.Future[None]]] = []
        self.writer: asyncio.Task[None] | None = None
        # Until when the database is known to be reachable (a batch or a probe just succeeded).
        self.healthy_until = 0.0

    async def check_database(self) -> None:
        """Raise DatabaseError when the database is down, so a request is refused (503) before
        any upstream call rather than answered and then left unbilled. Under load the
        settlements prove it up; otherwise one `SELECT 1` a second does."""
        if time.monotonic() < self.healthy_until:
            return
        await sync_to_async(probe_database)()
        self.healthy_until = time.monotonic() + HEALTHY_SECONDS

    async def commit(self, settlement: Settlement) -> None:
        """Return once `settlement` is durable; the write goes on if the caller is cancelled."""
        done = asyncio.get_running_loop().create_future()
        self.waiting.append((settlement, done))
        if self.writer is None:
            self.writer = asyncio.ensure_future(self.write_all())
        await asyncio.shield(done)

    async def write_all(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, []
                try:
                    written = await sync_to_async(write_batch)([item for item, _done in batch])
                except Exception as error:  # the database is unreachable even to retry
                    written = Written(failed={item.call.request_id for item, _done in batch})
                    reason: Exception = error
                else:
                    reason = RuntimeError("The settlement could not be written.")
                self.healthy_until = 0.0 if written.failed else time.monotonic() + HEALTHY_SECONDS
                settled = []
                for item, done in batch:
                    if item.call.request_id in written.failed:
                        done.set_exception(reason)
                    else:
                        done.set_result(None)
                        settled.append((item.call.user_id, item.call.request_id))
                if settled:  # once the responses can go: Redis gets the balances, drops holds
                    await holder().settled(written.balances, settled)
        finally:
            self.writer = None


committers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GroupCommitter] = (
    weakref.WeakKeyDictionary()
)


def committer() -> GroupCommitter:
    loop = asyncio.get_running_loop()
    if loop not in committers:
        committers[loop] = GroupCommitter()
    return committers[loop]
