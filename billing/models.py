"""Billing records. Amounts are integers of nano-units of the platform currency (money.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.money import Rates
from gateway.regions import validate_regions


class Plan(models.Model):
    """A pricing plan: every price is multiplied by its multiplier for the plan's users."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    multiplier = models.DecimalField(
        _("price multiplier"),
        max_digits=8,
        decimal_places=4,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.0001"))],
    )
    allowed_regions = models.JSONField(
        _("allowed regions"),
        default=list,
        blank=True,
        validators=[validate_regions],
        help_text=_("Requests of this plan's users are processed only there. Empty means any."),
    )

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self) -> str:
        return f"{self.name} (x{self.multiplier})"


class PriceQuerySet(models.QuerySet["Price"]):
    def current(self, model: str, *, at: datetime | None = None) -> Price | None:
        """The price in force for `model` at `at` (now): the latest that took effect."""
        at = at or timezone.now()
        prices = self.filter(model=model, effective_from__lte=at)
        return prices.order_by("-effective_from", "-id").first()


class Price(models.Model):
    """One version of a model's price. A change adds a version; old ones stay as history."""

    model = models.CharField(_("model"), max_length=100, db_index=True)
    input_per_million = models.PositiveBigIntegerField(_("input price per million tokens"))
    cached_input_per_million = models.PositiveBigIntegerField(
        _("cached input price per million tokens"),
        null=True,
        blank=True,
        help_text=_("Empty means the input price."),
    )
    output_per_million = models.PositiveBigIntegerField(_("output price per million tokens"))
    request_fee = models.PositiveBigIntegerField(_("fee per request"), default=0)
    effective_from = models.DateTimeField(_("effective from"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = PriceQuerySet.as_manager()

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        ordering = ("model", "-effective_from", "-id")
        indexes = [models.Index(fields=("model", "effective_from"))]

    def __str__(self) -> str:
        return f"{self.model} from {self.effective_from:%Y-%m-%d %H:%M}"

    @property
    def rates(self) -> Rates:
        cached = self.cached_input_per_million
        return Rates(
            input_per_million=self.input_per_million,
            cached_input_per_million=self.input_per_million if cached is None else cached,
            output_per_million=self.output_per_million,
            request_fee=self.request_fee,
        )


class PriceProposal(models.Model):
    """An Operator's proposed price; it becomes a `Price` only when Billing approves it."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    model = models.CharField(_("model"), max_length=100)
    input_per_million = models.PositiveBigIntegerField(_("input price per million tokens"))
    cached_input_per_million = models.PositiveBigIntegerField(
        _("cached input price per million tokens"), null=True, blank=True
    )
    output_per_million = models.PositiveBigIntegerField(_("output price per million tokens"))
    request_fee = models.PositiveBigIntegerField(_("fee per request"), default=0)
    effective_from = models.DateTimeField(_("effective from"), default=timezone.now)
    note = models.TextField(_("why"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    price = models.OneToOneField(
        Price, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposal"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("price proposal")
        verbose_name_plural = _("price proposals")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.model} proposal ({self.status})"


class WalletQuerySet(models.QuerySet["Wallet"]):
    def for_user(self, user_id: int) -> Wallet:
        wallet, _created = self.get_or_create(user_id=user_id)
        return wallet


class Wallet(models.Model):
    """A user's prepaid balance. `held` is the sum of open holds; both stay >= 0 (CHECK)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, primary_key=True, related_name="wallet"
    )
    balance = models.BigIntegerField(_("balance"), default=0)
    held = models.BigIntegerField(_("held"), default=0)
    plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("plan")
    )
    low_balance_threshold = models.PositiveBigIntegerField(
        _("low balance alert threshold"), null=True, blank=True
    )
    low_balance_alerted = models.BooleanField(default=False)
    last_topup_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    last_topup_provider = models.CharField(max_length=16, blank=True)

    objects = WalletQuerySet.as_manager()

    class Meta:
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="billing_wallet_balance_gte_0"
            ),
            models.CheckConstraint(condition=Q(held__gte=0), name="billing_wallet_held_gte_0"),
        ]

    def __str__(self) -> str:
        return f"Wallet of user {self.user_id}"

    @property
    def available(self) -> int:
        return self.balance - self.held

    @property
    def multiplier(self) -> Decimal:
        return self.plan.multiplier if self.plan else Decimal(1)


class TopUpOrder(models.Model):
    """A top-up, created before the payment page; a verified webhook marks it paid once."""

    class Provider(models.TextChoices):
        STRIPE = "stripe", "Stripe"
        CREEM = "creem", "Creem"
        ZPAY = "zpay", "ZPAY"

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        PAID = "paid", _("paid")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")
        REFUNDED = "refunded", _("refunded")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="topup_orders"
    )
    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    credit_amount = models.PositiveBigIntegerField(_("credit"))
    currency = models.CharField(_("currency"), max_length=3)
    charged_amount = models.DecimalField(_("amount charged"), max_digits=12, decimal_places=2)
    exchange_rate = models.DecimalField(
        _("exchange rate"),
        max_digits=18,
        decimal_places=8,
        default=Decimal(1),
        help_text=_("Units of the charged currency per unit of the platform currency."),
    )
    livemode = models.BooleanField(_("live mode"), default=False)
    provider_reference = models.CharField(_("provider reference"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("top-up order")
        verbose_name_plural = _("top-up orders")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.charged_amount} {self.currency} via {self.provider} ({self.status})"


class WebhookEvent(models.Model):
    """A provider event already processed: deliveries repeat, and are acted on once."""

    provider = models.CharField(max_length=16, choices=TopUpOrder.Provider.choices)
    event_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=100, blank=True)
    order = models.ForeignKey(TopUpOrder, null=True, blank=True, on_delete=models.PROTECT)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("provider", "event_id"), name="billing_webhook_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id}"


class RedemptionCode(models.Model):
    """A single-use code worth a credit, generated in batches by Billing staff."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    amount = models.PositiveBigIntegerField(_("amount"))
    batch = models.CharField(_("batch"), max_length=64, db_index=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="redeemed_codes",
    )
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("redemption code")
        verbose_name_plural = _("redemption codes")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.code


class LedgerEntry(models.Model):
    """An append-only money movement; the wallet's balance is their running sum."""

    class Kind(models.TextChoices):
        TOPUP = "topup", _("top-up")
        CHARGE = "charge", _("charge")
        REFUND = "refund", _("refund")
        ADJUSTMENT = "adjustment", _("adjustment")
        REDEMPTION = "redemption", _("redemption")
        HOLD_EXPIRY = "hold_expiry", _("hold expiry")

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.BigIntegerField(_("amount"))
    balance_after = models.BigIntegerField(_("balance after"))
    idempotency_key = models.CharField(max_length=200, unique=True)
    order = models.ForeignKey(TopUpOrder, null=True, blank=True, on_delete=models.PROTECT)
    redemption_code = models.ForeignKey(
        RedemptionCode, null=True, blank=True, on_delete=models.PROTECT
    )
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ("-created_at", "-id")
        permissions = [("adjust_balance", _("Can adjust balances and refund orders"))]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.idempotency_key})"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("Ledger entries are append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Ledger entries are append-only.")


class Hold(models.Model):
    """Money reserved for one gateway request until it is settled, released or expires."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        SETTLED = "settled", _("settled")
        RELEASED = "released", _("released")
        EXPIRED = "expired", _("expired")

    request_id = models.CharField(_("request id"), max_length=64, unique=True)
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="holds")
    amount = models.PositiveBigIntegerField(_("amount"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    charged = models.PositiveBigIntegerField(_("charged"), null=True, blank=True)
    # Cost beyond what the balance could pay when the request settled (written off).
    uncollected = models.PositiveBigIntegerField(_("uncollected"), default=0)

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        indexes = [models.Index(fields=("status", "expires_at"))]

    def __str__(self) -> str:
        return f"Hold {self.request_id} ({self.status})"


class BillingProfile(models.Model):
    """Who invoices are made out to."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="billing_profile",
    )
    name = models.CharField(_("name or company"), max_length=200, blank=True)
    address = models.TextField(_("address"), max_length=1000, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    tax_id = models.CharField(_("tax ID"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("billing profile")
        verbose_name_plural = _("billing profiles")

    def __str__(self) -> str:
        return f"Billing profile of user {self.user_id}"


class Invoice(models.Model):
    """The receipt of a paid top-up, with the billing details as they were when it was paid."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    order = models.OneToOneField(TopUpOrder, on_delete=models.PROTECT, related_name="invoice")
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    billed_to = models.TextField(_("billed to"), blank=True)
    tax_id = models.CharField(_("tax ID"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ("-issued_at",)

    def __str__(self) -> str:
        return self.number
