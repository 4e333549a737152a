"""Every write that moves money: ledger entries, holds, top-up credits, refunds, redemptions.

Each function is atomic and idempotent by its key (request id, order id, event id, code), so a
retried call never moves money twice. The wallet row is the projection of its ledger entries,
updated in the same transaction; database CHECKs keep `balance` and `held` non-negative.

The gateway holds money for a request in one of two places. In the embedded default it
calls `reserve` before forwarding and exactly one of `settle` or `release` after it (holds
are rows here). With Redis, holds live there (gateway/holds.py) and finished requests are
settled many at a time by `settle_batch`; `balance_changed` tells Redis each new balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.dispatch import Signal
from django.utils import timezone

from billing.invoices import issue_invoice
from billing.models import Hold, LedgerEntry, RedemptionCode, TopUpOrder, Wallet

# Sent after the commit of every change to a balance, with user_id, balance and version: the
# id of the wallet's latest ledger entry, which grows with each change under the wallet lock,
# so a listener can always tell the newer of two reports.
balance_changed = Signal()

# Only statements asked for with prepare=True are prepared (none of Django's own queries: its
# client-side binding cursors never are).
PREPARE_THRESHOLD_OFF = 2**31


def announce_balance(user_id: int, balance: int, version: int) -> None:
    transaction.on_commit(
        lambda: balance_changed.send(Wallet, user_id=user_id, balance=balance, version=version)
    )


class BillingError(Exception):
    pass


class InsufficientBalance(BillingError):
    """The available balance (balance minus holds) cannot cover the amount."""


class UnknownHold(BillingError):
    pass


class CodeNotRedeemable(BillingError):
    """The code does not exist, was already used, or has expired."""


def post_entry(
    *,
    user_id: int,
    kind: str,
    amount: int,
    idempotency_key: str,
    **references: object,
) -> LedgerEntry:
    """Append one entry and move the wallet balance by `amount`, once per idempotency key.

    A debit that would take the balance below zero raises InsufficientBalance.
    """
    Wallet.objects.for_user(user_id)
    try:
        with transaction.atomic():
            # The row lock serialises writers of one wallet; a retry waits, then finds its entry.
            wallet = Wallet.objects.select_for_update().get(pk=user_id)
            existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
            if wallet.balance + amount < 0:
                raise InsufficientBalance(f"A debit of {-amount} exceeds the balance.")
            Wallet.objects.filter(pk=user_id).update(balance=F("balance") + amount)
            watch_low_balance(wallet, wallet.balance + amount)
            entry = LedgerEntry.objects.create(
                wallet_id=user_id,
                kind=kind,
                amount=amount,
                balance_after=wallet.balance + amount,
                idempotency_key=idempotency_key,
                **references,
            )
            announce_balance(user_id, entry.balance_after, entry.pk)
            return entry
    except IntegrityError:
        # A concurrent call with the same key committed first (SQLite has no row locks).
        return LedgerEntry.objects.get(idempotency_key=idempotency_key)


def watch_low_balance(wallet: Wallet, new_balance: int) -> None:
    """Email the user once when the balance falls below their threshold; re-arm above it."""
    threshold = wallet.low_balance_threshold
    if threshold is None:
        return
    if new_balance < threshold and not wallet.low_balance_alerted:
        Wallet.objects.filter(pk=wallet.pk).update(low_balance_alerted=True)
        transaction.on_commit(lambda: send_low_balance_alert(wallet.pk))
    elif new_balance >= threshold and wallet.low_balance_alerted:
        Wallet.objects.filter(pk=wallet.pk).update(low_balance_alerted=False)


def send_low_balance_alert(user_id: int) -> None:
    """Queue the low-balance email (call it once the flag that it was sent has committed)."""
    # Imported here: the tasks module imports this one.
    from billing.tasks import send_low_balance_alert as send_low_balance_alert_task

    send_low_balance_alert_task.delay(user_id)


def adjust_balance(
    *, user_id: int, amount: int, reason: str, actor_id: int | None, idempotency_key: str
) -> LedgerEntry:
    """A staff adjustment (credit or debit), recorded with who made it and why."""
    return post_entry(
        user_id=user_id,
        kind=LedgerEntry.Kind.ADJUSTMENT,
        amount=amount,
        idempotency_key=f"adjustment:{idempotency_key}",
        actor_id=actor_id,
        reason=reason,
    )


def reserve(*, user_id: int, amount: int, request_id: str) -> Hold:
    """Hold `amount` for a request: one conditional update, so concurrent holds never overdraw."""
    if amount < 0:
        raise ValueError("A hold cannot be negative.")
    try:
        with transaction.atomic():
            covered = Wallet.objects.filter(pk=user_id, balance__gte=F("held") + amount).update(
                held=F("held") + amount
            )
            if not covered:
                existing = Hold.objects.filter(request_id=request_id).first()
                if existing is not None:
                    return existing
                raise InsufficientBalance(f"The available balance does not cover {amount}.")
            return Hold.objects.create(
                request_id=request_id,
                wallet_id=user_id,
                amount=amount,
                expires_at=timezone.now() + settings.HOLD_TTL,
            )
    except IntegrityError:
        # The same request was reserved before: the rollback undid this second increment.
        return Hold.objects.get(request_id=request_id)


def settle(*, request_id: str, cost: int) -> LedgerEntry:
    """Charge a request's actual cost and release its hold, once.

    The cost may exceed the hold, up to what the balance can pay without touching other
    requests' holds; the rest is recorded on the hold as uncollected, never as a debt.
    """
    if cost < 0:
        raise ValueError("A cost cannot be negative.")
    with transaction.atomic():
        hold = Hold.objects.select_for_update().filter(request_id=request_id).first()
        if hold is None:
            raise UnknownHold(request_id)
        if hold.status == Hold.Status.SETTLED:
            return LedgerEntry.objects.get(idempotency_key=f"charge:{request_id}")
        # A request that outlived its hold (expired by the beat task) is still billed.
        still_held = hold.amount if hold.status == Hold.Status.OPEN else 0
        wallet = Wallet.objects.select_for_update().get(pk=hold.wallet_id)
        payable = max(wallet.balance - (wallet.held - still_held), 0)
        charged = min(cost, payable)
        Wallet.objects.filter(pk=wallet.pk).update(
            balance=F("balance") - charged, held=F("held") - still_held
        )
        watch_low_balance(wallet, wallet.balance - charged)
        hold.status, hold.charged, hold.uncollected = Hold.Status.SETTLED, charged, cost - charged
        hold.save(update_fields=["status", "charged", "uncollected"])
        entry = LedgerEntry.objects.create(
            wallet_id=wallet.pk,
            kind=LedgerEntry.Kind.CHARGE,
            amount=-charged,
            balance_after=wallet.balance - charged,
            idempotency_key=f"charge:{request_id}",
            request_id=request_id,
        )
        announce_balance(wallet.pk, entry.balance_after, entry.pk)
        return entry


@dataclass(frozen=True)
class Settlement:
    """A finished request whose hold was taken outside the database; cost None = no charge."""

    request_id: str
    user_id: int
    held: int
    cost: int | None


def settle_batch(settlements: list[Settlement]) -> dict[str, int]:
    """Charge (or release) requests in one transaction; returns what each request paid.

    Used with holds kept in Redis: the hold is recorded here as a settled or released row,
    with what was charged and what the balance could not cover, as `settle` records it.
    Each request settles once: a second settlement of a request id breaks the unique hold
    and idempotency keys, and its whole transaction rolls back. Charges are taken in order;
    once a wallet's balance (less its database holds) is spent, the rest is uncollected.
    """
    check_costs(settlements)
    # No savepoint when called inside the caller's transaction: one round trip less each way.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            charges = settle_batch_in_one_statement(settlements)
        else:
            charges = settle_batch_row_by_row(settlements)
        for user_id, balance, version in newest_balances(charges):
            announce_balance(user_id, balance, version)
    return {charge.request_id: charge.paid for charge in charges}


def check_costs(settlements: list[Settlement]) -> None:
    if any(item.cost is not None and item.cost < 0 for item in settlements):
        raise ValueError("A cost cannot be negative.")


@dataclass(frozen=True)
class Charge:
    """What settling one request did: None for a released hold (nothing charged).

    `alert` is set when this batch took the wallet below its low-balance threshold."""

    request_id: str
    user_id: int
    paid: int
    balance_after: int | None
    entry_id: int | None
    alert: bool = False


def newest_balances(charges: list[Charge]) -> list[tuple[int, int, int]]:
    """Each charged wallet's balance after the batch, with its version (the newest entry)."""
    # Entries are numbered in batch order, so each wallet's last charge is its newest.
    latest = {charge.user_id: charge for charge in charges if charge.entry_id is not None}
    return [
        (user_id, charge.balance_after, charge.entry_id)
        for user_id, charge in latest.items()
        if charge.balance_after is not None and charge.entry_id is not None
    ]


def settle_batch_row_by_row(settlements: list[Settlement]) -> list[Charge]:
    """settle_batch with the ORM, a statement per table (SQLite, the embedded default)."""
    # Wallets locked in id order, so two batches never wait on each other in a cycle.
    user_ids = sorted({item.user_id for item in settlements})
    locked = Wallet.objects.select_for_update().filter(pk__in=user_ids).order_by("pk")
    wallets = {wallet.pk: wallet for wallet in locked}
    holds, entries = [], []
    for item in settlements:
        hold = Hold(
            request_id=item.request_id,
            wallet_id=item.user_id,
            amount=item.held,
            expires_at=timezone.now(),
            status=Hold.Status.RELEASED if item.cost is None else Hold.Status.SETTLED,
        )
        holds.append(hold)
        if item.cost is None:
            continue
        wallet = wallets[item.user_id]
        hold.charged = min(item.cost, max(wallet.balance - wallet.held, 0))
        hold.uncollected = item.cost - hold.charged
        wallet.balance -= hold.charged
        entries.append(
            LedgerEntry(
                wallet_id=wallet.pk,
                kind=LedgerEntry.Kind.CHARGE,
                amount=-hold.charged,
                balance_after=wallet.balance,
                idempotency_key=f"charge:{item.request_id}",
                request_id=item.request_id,
            )
        )
    Hold.objects.bulk_create(holds)
    LedgerEntry.objects.bulk_create(entries)
    for wallet in wallets.values():
        Wallet.objects.filter(pk=wallet.pk).update(balance=wallet.balance)
        if any(entry.wallet_id == wallet.pk for entry in entries):
            watch_low_balance(wallet, wallet.balance)
    by_request = {entry.request_id: entry for entry in entries}
    charges = [
        Charge(
            request_id=item.request_id,
            user_id=item.user_id,
            paid=-by_request[item.request_id].amount if item.request_id in by_request else 0,
            balance_after=(
                by_request[item.request_id].balance_after if item.request_id in by_request else None
            ),
            entry_id=by_request[item.request_id].pk if item.request_id in by_request else None,
        )
        for item in settlements
    ]
    return charges


# The same rules as settle_batch_row_by_row in one statement, so a batch costs PostgreSQL one
# round trip: wallets locked in id order; each charge is the smaller of its cost and what
# the balance (less database holds) still covers after the earlier charges of the batch; a
# charged wallet's low-balance flag follows its new balance (`alert`: it just went below).
SETTLE_BATCH_SQL = """
WITH items AS (
    SELECT * FROM unnest(%s::integer[], %s::varchar[], %s::bigint[], %s::bigint[], %s::bigint[])
        AS items (position, request_id, user_id, held, cost)
),
locked AS (
    SELECT user_id, balance, GREATEST(balance - held, 0) AS payable, low_balance_alerted
    FROM billing_wallet
    WHERE user_id IN (SELECT user_id FROM items) ORDER BY user_id FOR UPDATE
),
running AS (
    SELECT items.*, locked.balance, locked.payable, locked.low_balance_alerted,
        (SUM(items.cost) OVER (PARTITION BY items.user_id ORDER BY items.position))::bigint
            AS spent
    FROM items JOIN locked USING (user_id)
),
charged AS (
    SELECT *,
        CASE WHEN cost IS NOT NULL THEN LEAST(cost, GREATEST(payable - (spent - cost), 0)) END
            AS paid,
        balance - LEAST(spent, payable) AS balance_after
    FROM running
),
wallets AS (
    UPDATE billing_wallet SET balance = billing_wallet.balance - totals.paid,
        low_balance_alerted = COALESCE(
            billing_wallet.balance - totals.paid < billing_wallet.low_balance_threshold,
            billing_wallet.low_balance_alerted
        )
    FROM (SELECT user_id, SUM(paid) AS paid FROM charged WHERE cost IS NOT NULL GROUP BY user_id)
        AS totals
    WHERE billing_wallet.user_id = totals.user_id
    RETURNING billing_wallet.user_id, billing_wallet.low_balance_alerted
),
holds AS (
    INSERT INTO billing_hold
        (request_id, wallet_id, amount, status, created_at, expires_at, charged, uncollected)
    SELECT request_id, user_id, held,
        CASE WHEN cost IS NULL THEN %s ELSE %s END, now(), now(), paid, COALESCE(cost - paid, 0)
    FROM charged
),
entries AS (
    INSERT INTO billing_ledgerentry
        (kind, amount, balance_after, idempotency_key, request_id, reason, created_at, wallet_id)
    SELECT %s, -paid, balance_after, %s || request_id, request_id, '', now(), user_id
    FROM charged WHERE cost IS NOT NULL ORDER BY position
    RETURNING id, request_id
){also}
SELECT charged.request_id, charged.user_id, COALESCE(charged.paid, 0),
    CASE WHEN charged.cost IS NULL THEN NULL ELSE charged.balance_after END, entries.id,
    COALESCE(wallets.low_balance_alerted AND NOT charged.low_balance_alerted, FALSE)
FROM charged LEFT JOIN entries USING (request_id) LEFT JOIN wallets USING (user_id)
ORDER BY charged.position
"""


def settle_batch_in_one_statement(
    settlements: list[Settlement], *, also: tuple[str, list[Any]] = ("", [])
) -> list[Charge]:
    """settle_batch on PostgreSQL: one prepared statement (its own transaction when run
    outside one), then the low-balance emails queued for after the commit. New balances are
    not announced: settle_batch does that, the gateway tells Redis itself.

    `also` adds data-modifying CTEs (", name AS (INSERT …)") written in the same statement;
    they may read `charged` (request_id, position, paid). The gateway adds its usage logs.
    """
    check_costs(settlements)
    # The batch goes in as arrays, so the statement's text is the same for any batch.
    params: list[Any] = [
        list(range(len(settlements))),
        [item.request_id for item in settlements],
        [item.user_id for item in settlements],
        [item.held for item in settlements],
        [item.cost for item in settlements],
    ]
    params += [Hold.Status.RELEASED, Hold.Status.SETTLED, LedgerEntry.Kind.CHARGE, "charge:"]
    extra_sql, extra_params = also
    rows = execute_prepared(SETTLE_BATCH_SQL.format(also=extra_sql), params + extra_params)
    charges = [Charge(*row) for row in rows]
    for user_id in {charge.user_id for charge in charges if charge.alert}:
        transaction.on_commit(partial(send_low_balance_alert, user_id))
    return charges


def execute_prepared(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Run `sql` as a prepared statement on Django's connection (in its transaction, if any).

    Django binds parameters client-side, which PostgreSQL must parse and plan on every call:
    for the settlement statement that is half its cost (bench/README.md). This cursor binds
    server-side and prepares it once per connection. A connection pooler in front of
    PostgreSQL must support prepared statements (PgBouncer 1.21+ with
    max_prepared_statements).
    """
    connection.ensure_connection()
    session = connection.connection
    if session.prepare_threshold is None:  # Django turns automatic preparation off
        session.prepare_threshold = PREPARE_THRESHOLD_OFF
    # Errors raised as Django's (IntegrityError, OperationalError…), as its own cursors do.
    with connection.wrap_database_errors, psycopg.Cursor(session) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall()


def release(*, request_id: str, status: str = Hold.Status.RELEASED) -> Hold:
    """Give a hold's money back without charging (the request failed before any output)."""
    with transaction.atomic():
        hold = Hold.objects.select_for_update().filter(request_id=request_id).first()
        if hold is None:
            raise UnknownHold(request_id)
        if hold.status == Hold.Status.OPEN:
            Wallet.objects.filter(pk=hold.wallet_id).update(held=F("held") - hold.amount)
            hold.status = status
            hold.save(update_fields=["status"])
        return hold


def expire_stale_holds(*, batch_size: int = 500) -> int:
    """Release holds whose request never settled (its worker died), and record each."""
    expired = 0
    stale = Hold.objects.filter(status=Hold.Status.OPEN, expires_at__lt=timezone.now())
    for hold in stale.order_by("expires_at")[:batch_size]:
        with transaction.atomic():
            released = release(request_id=hold.request_id, status=Hold.Status.EXPIRED)
            if released.status != Hold.Status.EXPIRED:
                continue
            post_entry(
                user_id=hold.wallet_id,
                kind=LedgerEntry.Kind.HOLD_EXPIRY,
                amount=0,
                idempotency_key=f"hold-expiry:{hold.request_id}",
                request_id=hold.request_id,
                reason=f"Hold of {hold.amount} expired unsettled.",
            )
            expired += 1
    return expired


def credit_paid_order(*, order_id: str, provider_reference: str = "") -> bool:
    """Mark an unpaid order paid, credit it and issue its invoice, in one transaction, once.

    An expired order is still credited: its payment completed late, and money received is
    never kept without credit. Returns False when the order was already paid, failed or
    refunded. The payment confirmation email goes out through Celery after the commit.
    """
    unpaid = (TopUpOrder.Status.PENDING, TopUpOrder.Status.EXPIRED)
    with transaction.atomic():
        paid = TopUpOrder.objects.filter(pk=order_id, status__in=unpaid).update(
            status=TopUpOrder.Status.PAID,
            paid_at=timezone.now(),
            provider_reference=provider_reference or F("provider_reference"),
        )
        if not paid:
            return False
        order = TopUpOrder.objects.select_related("user").get(pk=order_id)
        post_entry(
            user_id=order.user_id,
            kind=LedgerEntry.Kind.TOPUP,
            amount=order.credit_amount,
            idempotency_key=f"topup:{order.pk}",
            order=order,
        )
        issue_invoice(order)
        # Imported here: the tasks module imports this one.
        from billing.tasks import send_payment_confirmation as send_payment_confirmation_task

        transaction.on_commit(lambda: send_payment_confirmation_task.delay(str(order.pk)))
        return True


def expire_abandoned_orders() -> int:
    """Mark orders still unpaid after TOPUP_ORDER_TTL as expired (a late payment still counts)."""
    cutoff = timezone.now() - settings.TOPUP_ORDER_TTL
    abandoned = TopUpOrder.objects.filter(status=TopUpOrder.Status.PENDING, created_at__lt=cutoff)
    return abandoned.update(status=TopUpOrder.Status.EXPIRED)


def refund_order(*, order_id: str, actor_id: int | None, reason: str) -> LedgerEntry:
    """Mark a paid order refunded and take its credit back, once.

    Credit already spent cannot be taken back (balances never go negative): the debit is the
    smaller of the order's credit and the current balance, and the reason records it.
    """
    with transaction.atomic():
        order = TopUpOrder.objects.select_for_update().get(pk=order_id)
        key = f"refund:{order.pk}"
        if order.status == TopUpOrder.Status.REFUNDED:
            return LedgerEntry.objects.get(idempotency_key=key)
        if order.status != TopUpOrder.Status.PAID:
            raise BillingError(f"Order {order.pk} is {order.status}, not paid.")
        balance = Wallet.objects.select_for_update().get(pk=order.user_id).balance
        entry = post_entry(
            user_id=order.user_id,
            kind=LedgerEntry.Kind.REFUND,
            amount=-min(order.credit_amount, balance),
            idempotency_key=key,
            order=order,
            actor_id=actor_id,
            reason=reason,
        )
        order.status, order.refunded_at = TopUpOrder.Status.REFUNDED, timezone.now()
        order.save(update_fields=["status", "refunded_at"])
        return entry


def redeem_code(*, user_id: int, code: str) -> LedgerEntry:
    """Credit a redemption code to a user; a code pays out once, whoever races for it."""
    now = timezone.now()
    with transaction.atomic():
        claimed = (
            RedemptionCode.objects.filter(code=code.strip().upper(), redeemed_at__isnull=True)
            .exclude(expires_at__lte=now)
            .update(redeemed_by_id=user_id, redeemed_at=now)
        )
        if not claimed:
            raise CodeNotRedeemable(code)
        redemption = RedemptionCode.objects.get(code=code.strip().upper())
        return post_entry(
            user_id=user_id,
            kind=LedgerEntry.Kind.REDEMPTION,
            amount=redemption.amount,
            idempotency_key=f"redemption:{redemption.pk}",
            redemption_code=redemption,
        )


@dataclass(frozen=True)
class Mismatch:
    user_id: int
    balance: int
    ledger_sum: int
    held: int
    open_holds: int


def find_mismatches() -> list[Mismatch]:
    """Wallets whose balance differs from the sum of their entries, or held from open holds."""
    ledger = dict(
        LedgerEntry.objects.values("wallet_id")
        .annotate(total=Sum("amount"))
        .values_list("wallet_id", "total")
    )
    holds = dict(
        Hold.objects.filter(status=Hold.Status.OPEN)
        .values("wallet_id")
        .annotate(total=Sum("amount"))
        .values_list("wallet_id", "total")
    )
    mismatches = []
    for wallet in Wallet.objects.only("user_id", "balance", "held").iterator():
        ledger_sum, open_holds = ledger.get(wallet.pk, 0), holds.get(wallet.pk, 0)
        if wallet.balance != ledger_sum or wallet.held != open_holds:
            mismatches.append(
                Mismatch(wallet.pk, wallet.balance, ledger_sum, wallet.held, open_holds)
            )
    return mismatches
