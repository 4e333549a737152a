from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def secrets_token() -> str:
    return secrets.token_urlsafe(32)


class Purpose(models.TextChoices):
    CONTENT_LOGGING = "content_logging", _("content logging")
    MARKETING_EMAILS = "marketing_emails", _("product update emails")
    FUNCTIONAL_COOKIES = "functional_cookies", _("functional cookies")
    ANALYTICS_COOKIES = "analytics_cookies", _("analytics cookies")
    SALE_SHARING = "sale_sharing", _("sale or sharing of personal information")


class ConsentNotice(models.Model):
    """The text a person agrees to, per purpose, version and language."""

    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    version = models.PositiveIntegerField(_("version"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    text = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent notice")
        verbose_name_plural = _("consent notices")
        ordering = ("purpose", "-version", "language")
        constraints = [
            models.UniqueConstraint(
                fields=("purpose", "version", "language"), name="privacy_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} v{self.version} ({self.language})"


class ConsentRecordQuerySet(models.QuerySet["ConsentRecord"]):
    def of_subject(
        self, *, user_id: int | None = None, browser_id: str = ""
    ) -> ConsentRecordQuerySet:
        subject = Q(pk__in=[])
        if user_id is not None:
            subject |= Q(user_id=user_id)
        if browser_id:
            subject |= Q(browser_id=browser_id)
        return self.filter(subject)

    def latest_record(self, purpose: str) -> ConsentRecord | None:
        """The subject's latest record for `purpose`: it holds their current choice."""
        return self.filter(purpose=purpose).order_by("-created_at", "-id").first()

    def latest_choice(self, purpose: str) -> bool | None:
        latest = self.latest_record(purpose)
        return None if latest is None else latest.granted


class ConsentRecord(models.Model):
    """One grant or withdrawal, never changed afterwards: the history is the evidence."""

    class Method(models.TextChoices):
        SIGNUP = "signup", _("signup")
        SETTINGS = "settings", _("settings")
        BANNER = "banner", _("cookie banner")
        GPC = "gpc", _("Global Privacy Control")
        UNSUBSCRIBE = "unsubscribe", _("unsubscribe link")
        STAFF = "staff", _("staff")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consent_records",
        verbose_name=_("user"),
    )
    browser_id = models.CharField(_("browser id"), max_length=64, blank=True, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    notice_version = models.PositiveIntegerField(_("notice version"), null=True, blank=True)
    granted = models.BooleanField(_("granted"))
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    ip_truncated = models.CharField(_("IP address (truncated)"), max_length=64, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=255, blank=True)

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        choice = "granted" if self.granted else "withdrawn"
        return f"{self.purpose} {choice} ({self.method})"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("Consent records are append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Consent records are append-only.")


class DataSubjectRequest(models.Model):
    """A request to exercise a privacy right, worked against the deadlines of its regime."""

    class Regime(models.TextChoices):
        GDPR = "gdpr", _("GDPR (EU)")
        UK_GDPR = "uk_gdpr", _("UK GDPR")
        CCPA = "ccpa", _("CCPA (California)")
        OTHER = "other", _("other")

    class Kind(models.TextChoices):
        ACCESS = "access", _("access my data")
        PORTABILITY = "portability", _("receive my data in a portable format")
        RECTIFICATION = "rectification", _("correct my data")
        ERASURE = "erasure", _("delete my data")
        RESTRICTION = "restriction", _("restrict processing of my data")
        OBJECTION = "objection", _("object to processing of my data")
        WITHDRAW_CONSENT = "withdraw_consent", _("withdraw consent")
        OPT_OUT_SALE = "opt_out_sale", _("opt out of sale or sharing")
        LIMIT_SENSITIVE = "limit_sensitive", _("limit use of sensitive information")

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        IN_PROGRESS = "in_progress", _("in progress")
        FULFILLED = "fulfilled", _("fulfilled")
        DENIED = "denied", _("denied")
        CLOSED = "closed", _("closed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="privacy_requests",
        verbose_name=_("user"),
    )
    email = models.EmailField(_("email address"))
    regime = models.CharField(_("regime"), max_length=16, choices=Regime.choices)
    kind = models.CharField(_("request"), max_length=32, choices=Kind.choices)
    details = models.TextField(_("details"), max_length=5000, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    email_verified_at = models.DateTimeField(_("email verified at"), null=True, blank=True)
    identity_verified_at = models.DateTimeField(_("identity verified at"), null=True, blank=True)
    # What staff checked to verify identity (never copies of documents).
    identity_evidence = models.TextField(_("identity evidence"), blank=True)
    extended = models.BooleanField(_("extended"), default=False)
    # The answer's deadline as last computed (privacy.dsar.refresh_due), for ordering and
    # filtering the queue in the database; an open wait for information moves it later.
    due_at = models.DateTimeField(_("answer due by"), null=True, blank=True, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assignee"),
    )

    class Meta:
        verbose_name = _("data subject request")
        verbose_name_plural = _("data subject requests")
        ordering = ("due_at", "received_at")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.email})"


class DsarEvent(models.Model):
    """One step of a request's history: who did what, when, and why. Never changed."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("received")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        EMAIL_VERIFIED = "email_verified", _("email verified")
        IDENTITY_VERIFIED = "identity_verified", _("identity verified")
        ASSIGNED = "assigned", _("assigned")
        INFORMATION_REQUESTED = "information_requested", _("information requested")
        INFORMATION_RECEIVED = "information_received", _("information received")
        EXTENDED = "extended", _("extended")
        EXPORT_READY = "export_ready", _("export ready")
        RECTIFIED = "rectified", _("rectified")
        ERASURE_PLANNED = "erasure_planned", _("erasure planned")
        ERASURE_APPROVED = "erasure_approved", _("erasure approved")
        ERASURE_EXECUTED = "erasure_executed", _("erasure executed")
        RESTRICTED = "restricted", _("processing restricted")
        RESTRICTION_LIFTED = "restriction_lifted", _("restriction lifted")
        OBJECTION_APPLIED = "objection_applied", _("objection applied")
        FULFILLED = "fulfilled", _("fulfilled")
        DENIED = "denied", _("denied")
        CLOSED = "closed", _("closed")

    request = models.ForeignKey(DataSubjectRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.kind} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("Request events are append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


def private_storage() -> Storage:
    return storages["private"]


def export_path(export: DataExport, filename: str) -> str:
    return f"exports/{export.token}.zip"


class DataExport(models.Model):
    """A machine-readable archive of one person's data, downloadable for 7 days."""

    token = models.CharField(max_length=64, unique=True, default=secrets_token)
    request = models.OneToOneField(
        DataSubjectRequest, on_delete=models.CASCADE, related_name="export"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    # Private storage: never under MEDIA_URL; served only by the owner's download view.
    archive = models.FileField(upload_to=export_path, storage=private_storage)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")

    def __str__(self) -> str:
        return f"Export for {self.request_id}"


class RetentionPolicy(models.Model):
    """How long one kind of data is kept; seeded from the privacy policy, editable by staff."""

    key = models.CharField(_("policy"), max_length=32, unique=True)
    description = models.CharField(_("description"), max_length=200)
    days = models.PositiveIntegerField(_("days"))

    class Meta:
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")
        ordering = ("key",)

    def __str__(self) -> str:
        return f"{self.description} ({self.days} days)"


class LegalHoldQuerySet(models.QuerySet["LegalHold"]):
    def active(self) -> LegalHoldQuerySet:
        return self.filter(released_at__isnull=True)


class LegalHold(models.Model):
    """While active, nothing about this person is purged or erased (litigation, authorities)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="legal_holds"
    )
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")

    def __str__(self) -> str:
        return f"Legal hold on user {self.user_id}"


class RetentionRun(models.Model):
    """One run of the retention job: what it removed, per policy."""

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ("-started_at",)

    def __str__(self) -> str:
        return f"Retention run {self.started_at:%Y-%m-%d %H:%M}"


class ErasurePlan(models.Model):
    """An erasure: planned (dry run), approved by a second person, executed, verified."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        APPROVED = "approved", _("approved")
        EXECUTED = "executed", _("executed")

    request = models.OneToOneField(
        DataSubjectRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="erasure"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="erasure_plans"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    plan = models.JSONField(_("erasure plan"), default=dict)
    receipt = models.JSONField(_("receipt"), default=dict, blank=True)
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")

    def __str__(self) -> str:
        return f"Erasure of user {self.user_id} ({self.status})"


class ProcessorTask(models.Model):
    """Telling a processor (a payment provider, an upstream model provider) about an erasure."""

    erasure = models.ForeignKey(
        ErasurePlan, on_delete=models.CASCADE, related_name="processor_tasks"
    )
    processor = models.CharField(_("processor"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("processor task")
        verbose_name_plural = _("processor tasks")
        ordering = ("done_at", "created_at")

    def __str__(self) -> str:
        return f"Tell {self.processor} about erasure {self.erasure_id}"


class SuppressionEntry(models.Model):
    """A keyed hash of an erased person's email, so a restored backup can be erased again."""

    identifier_hash = models.CharField(max_length=64, unique=True)
    erased_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("suppression entry")
        verbose_name_plural = _("suppression list")

    def __str__(self) -> str:
        return self.identifier_hash[:12]


class AccessEvent(models.Model):
    """One look at or change of personal data by staff in admin. Never changed or deleted."""

    class Action(models.TextChoices):
        LIST = "list", _("listed")
        VIEW = "view", _("viewed")
        CHANGE = "change", _("changed")
        ADD = "add", _("added")
        DELETE = "delete", _("deleted")
        EXPORT = "export", _("exported")
        REVEAL = "reveal", _("revealed")

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("staff member"),
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    model = models.CharField(_("record type"), max_length=100)
    object_ids = models.JSONField(_("records"), default=list)
    # Names of the fields changed or revealed, never their values.
    fields = models.JSONField(_("fields"), default=list, blank=True)
    # The admin action or page, when it says more than `action`.
    detail = models.CharField(_("detail"), max_length=100, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    ip_truncated = models.CharField(_("IP address (truncated)"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # The people whose data it was, for "who touched this person's data".
    subjects = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("data subjects")
    )

    class Meta:
        verbose_name = _("access event")
        verbose_name_plural = _("access events")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.action} {self.model} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("Access events are append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Access events are append-only.")


class BreachIncident(models.Model):
    """A personal data breach in the register (GDPR Art. 33(5)), with its two 72-hour clocks."""

    class Risk(models.TextChoices):
        UNLIKELY = "unlikely", _("unlikely to result in a risk")
        RISK = "risk", _("risk to people's rights and freedoms")
        HIGH = "high", _("high risk to people's rights and freedoms")

    description = models.TextField(_("what happened"))
    became_aware_at = models.DateTimeField(_("became aware at"))
    data_categories = models.JSONField(_("categories of data"), default=list)
    people_affected = models.PositiveIntegerField(_("people affected"), default=0)
    risk = models.CharField(_("risk level"), max_length=16, choices=Risk.choices)
    containment = models.TextField(_("containment and consequences"), blank=True)
    authority_notified_at = models.DateTimeField(_("authority notified at"), null=True, blank=True)
    authority_reference = models.CharField(_("authority's reference"), max_length=200, blank=True)
    late_reason = models.TextField(_("reason for the late notification"), blank=True)
    users_notified_at = models.DateTimeField(_("people notified at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("breach")
        verbose_name_plural = _("breach register")
        ordering = ("-became_aware_at",)

    def __str__(self) -> str:
        return f"Breach of {self.became_aware_at:%Y-%m-%d %H:%M}"


class BreachNotification(models.Model):
    """One affected person's notice of a breach (GDPR Art. 34): queued, then sent."""

    incident = models.ForeignKey(
        BreachIncident, on_delete=models.PROTECT, related_name="notifications"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="breach_notifications",
    )
    email = models.EmailField(_("email address"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("breach notification")
        verbose_name_plural = _("breach notifications")
        constraints = [
            models.UniqueConstraint(fields=("incident", "user"), name="privacy_breach_notice_once")
        ]

    def __str__(self) -> str:
        return f"Breach notice {self.pk}"


class PolicyDocument(models.Model):
    """One language of one version of a legal document; published versions never change."""

    class Kind(models.TextChoices):
        PRIVACY = "privacy", _("privacy policy")
        TERMS = "terms", _("terms of service")
        COOKIES = "cookies", _("cookie notice")

    kind = models.CharField(_("document"), max_length=16, choices=Kind.choices)
    version = models.PositiveIntegerField(_("version"))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    # Plain text, shown escaped with its paragraphs kept.
    body = models.TextField(_("text"))
    material = models.BooleanField(
        _("material change"),
        default=False,
        help_text=_("Material changes are announced by email at least 30 days ahead."),
    )
    effective_at = models.DateTimeField(_("effective from"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("policy document")
        verbose_name_plural = _("policy documents")
        ordering = ("kind", "-version", "language")
        constraints = [
            models.UniqueConstraint(
                fields=("kind", "version", "language"), name="privacy_policy_version_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version} ({self.language})"


class PolicyNotice(models.Model):
    """One user's email about a material change to a policy: queued, then sent."""

    kind = models.CharField(_("document"), max_length=16, choices=PolicyDocument.Kind.choices)
    version = models.PositiveIntegerField(_("version"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="policy_notices"
    )
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("policy change notice")
        verbose_name_plural = _("policy change notices")
        constraints = [
            models.UniqueConstraint(
                fields=("kind", "version", "user"), name="privacy_policy_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"Notice of {self.kind} v{self.version}"


class PolicyAcknowledgement(models.Model):
    """A user acknowledged a coming change (the console banner's button)."""

    kind = models.CharField(_("document"), max_length=16, choices=PolicyDocument.Kind.choices)
    version = models.PositiveIntegerField(_("version"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="policy_acknowledgements"
    )
    created_at = models.DateTimeField(_("acknowledged at"), default=timezone.now)

    class Meta:
        verbose_name = _("policy acknowledgement")
        verbose_name_plural = _("policy acknowledgements")
        constraints = [
            models.UniqueConstraint(
                fields=("kind", "version", "user"), name="privacy_policy_ack_once"
            )
        ]

    def __str__(self) -> str:
        return f"Acknowledged {self.kind} v{self.version}"


class MinorCase(models.Model):
    """A suspected minor (privacy policy section 8): suspended at once, then erased once a
    Privacy Officer confirms it, or reinstated if not."""

    class Source(models.TextChoices):
        STAFF = "staff", _("staff")
        GUARDIAN = "guardian", _("guardian report")

    class Status(models.TextChoices):
        REPORTED = "reported", _("reported")
        SUSPENDED = "suspended", _("suspended")
        CONFIRMED = "confirmed", _("confirmed and erased")
        DISMISSED = "dismissed", _("dismissed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="minor_cases",
        verbose_name=_("account"),
    )
    reported_email = models.EmailField(_("account email address"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    guardian_name = models.CharField(_("guardian's name"), max_length=200, blank=True)
    guardian_email = models.EmailField(_("guardian's email address"), blank=True)
    details = models.TextField(_("details"), max_length=5000, blank=True)
    created_at = models.DateTimeField(_("opened at"), default=timezone.now)
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    erasure = models.OneToOneField(
        ErasurePlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="minor_case"
    )

    class Meta:
        verbose_name = _("suspected minor")
        verbose_name_plural = _("suspected minors")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Minor case {self.pk} ({self.status})"


class PageView(models.Model):
    """One console page seen, recorded only with analytics consent; staff see only totals.

    The page is its URL name, never the address itself, which can carry tokens or ids.
    """

    page = models.CharField(_("page"), max_length=100)
    day = models.DateField(_("day"))
    language = models.CharField(_("language"), max_length=10)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    browser_id = models.CharField(_("browser"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("page view")
        verbose_name_plural = _("page views")
        indexes = [models.Index(fields=["day", "page"]), models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.page} on {self.day}"
