from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import string
import zoneinfo
from datetime import datetime
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gateway.regions import validate_regions


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra_fields: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        email = self.normalize_email(email).lower()
        extra_fields.setdefault("username", email.split("@")[0])
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, password: str | None = None, **extra_fields: object
    ) -> User:
        extra_fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person with a console login. Email is the login; the username is a public handle."""

    email = models.EmailField(_("email address"), unique=True)
    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @/./+/-/_ only."),
    )
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="avatars/", blank=True)
    bio = models.TextField(_("bio"), max_length=500, blank=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # The policy excludes minors: signup records when the person confirmed being 18 or older.
    adult_confirmed_at = models.DateTimeField(_("confirmed 18 or older at"), null=True, blank=True)
    # GDPR Art. 18: while set, nothing is processed for this person (the gateway refuses).
    processing_restricted = models.BooleanField(
        _("processing restricted"),
        default=False,
        help_text=_("While set, API requests are refused (restriction of processing)."),
    )
    # Set when the person closes the account; the account-data retention period counts from it.
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["username"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.display_name or self.username

    def get_short_name(self) -> str:
        return self.display_name or self.username

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone."), code="invalid_time_zone")


class PreferencesQuerySet(models.QuerySet["Preferences"]):
    def for_user(self, user: User) -> Preferences:
        preferences, _created = self.get_or_create(user=user)
        return preferences


class Preferences(models.Model):
    """Console preferences. Service notices are always sent; product updates are opt-in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="preferences",
    )
    default_model = models.CharField(_("default model"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    product_updates = models.BooleanField(
        _("email me product updates"),
        default=False,
        help_text=_("Service notices about your account, security and payments are always sent."),
    )
    content_logging = models.BooleanField(
        _("store my prompts and responses"),
        default=False,
        help_text=_(
            "Opt in to keep the content of your API calls, encrypted, for 30 days to help us "
            "troubleshoot. Turning it off deletes what was stored."
        ),
    )
    allowed_regions = models.JSONField(
        _("process my requests only in"),
        default=list,
        blank=True,
        validators=[validate_regions],
        help_text=_("Regions where your API calls may be processed. None ticked means any."),
    )

    objects = PreferencesQuerySet.as_manager()

    class Meta:
        verbose_name = _("preferences")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return f"Preferences of user {self.user_id}"


API_KEY_PREFIX = "sk-"
API_KEY_BODY_LENGTH = 48
API_KEY_LOOKUP_LENGTH = 10
API_KEY_ALPHABET = string.ascii_letters + string.digits
# A well-formed key: anything else is rejected before it reaches the database.
API_KEY_PATTERN = re.compile(rf"^{API_KEY_PREFIX}[A-Za-z0-9]{{{API_KEY_BODY_LENGTH}}}$")
# The console playground's identity has this lookup prefix (plus the user id): real keys'
# prefixes are letters and digits only, so no presented key can ever look it up.
PLAYGROUND_PREFIX = "~"
PLAYGROUND_NAME = "Playground"


def hash_api_key(raw_key: str) -> str:
    """HMAC-SHA256 with the server pepper: a database leak alone does not reveal usable keys."""
    pepper = settings.API_KEY_PEPPER.encode()
    return hmac.new(pepper, raw_key.encode(), hashlib.sha256).hexdigest()


def validate_cidr_list(value: object) -> None:
    if not isinstance(value, list):
        raise ValidationError(_("Enter a list of IP addresses or CIDR ranges."))
    for item in value:
        try:
            ipaddress.ip_network(str(item), strict=False)
        except ValueError as error:
            raise ValidationError(
                _("%(value)s is not an IP address or CIDR range."), params={"value": item}
            ) from error


def validate_future_expiry(value: datetime | None) -> None:
    """A key's new expiry must lie in the future (none means it never expires)."""
    if value is not None and value <= timezone.now():
        raise ValidationError(_("Choose a time in the future."))


def validate_model_list(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ValidationError(_("Enter a list of model names."))


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def issue(self, *, user: User, name: str, **options: object) -> tuple[ApiToken, str]:
        """Create a key and return it with its plaintext, which is never stored or shown again."""
        for _attempt in range(5):
            body = "".join(secrets.choice(API_KEY_ALPHABET) for _ in range(API_KEY_BODY_LENGTH))
            raw_key = API_KEY_PREFIX + body
            try:
                with transaction.atomic():
                    token = self.create(
                        user=user,
                        name=name,
                        lookup_prefix=body[:API_KEY_LOOKUP_LENGTH],
                        key_hash=hash_api_key(raw_key),
                        **options,
                    )
            except IntegrityError:
                continue  # A lookup-prefix collision (about 2**-59 per pair): draw again.
            return token, raw_key
        raise RuntimeError("Could not draw a unique API key prefix.")

    def keys(self) -> ApiTokenQuerySet:
        """The user-made keys, without playground identities."""
        return self.exclude(lookup_prefix__startswith=PLAYGROUND_PREFIX)

    def playground_for(self, user: User) -> ApiToken:
        """The user's playground identity: billed and logged like a key, with no secret at all
        (an empty hash matches nothing), never listed among the keys."""
        token, _created = self.select_related("user").get_or_create(
            user=user,
            lookup_prefix=f"{PLAYGROUND_PREFIX}{user.pk}",
            defaults={"name": PLAYGROUND_NAME, "key_hash": ""},
        )
        return token


def lookup_prefix_of(raw_key: str) -> str | None:
    """The stored lookup prefix of a well-formed key; None rejects it before any lookup."""
    if not API_KEY_PATTERN.match(raw_key):
        return None
    return raw_key[len(API_KEY_PREFIX) :][:API_KEY_LOOKUP_LENGTH]


class ApiToken(models.Model):
    """An `sk-…` key for the gateway. Only a lookup prefix and a peppered HMAC are stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=64)
    lookup_prefix = models.CharField(max_length=API_KEY_LOOKUP_LENGTH, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    allowed_models = models.JSONField(
        _("allowed models"),
        default=list,
        blank=True,
        validators=[validate_model_list],
        help_text=_("Empty means every model."),
    )
    allowed_ips = models.JSONField(
        _("allowed IP addresses"),
        default=list,
        blank=True,
        validators=[validate_cidr_list],
        help_text=_("IP addresses or CIDR ranges. Empty means any address."),
    )
    # In billing's money unit (nano-dollars); the gateway enforces it with the billing API.
    spending_limit = models.PositiveBigIntegerField(_("spending limit"), null=True, blank=True)
    rpm_limit = models.PositiveIntegerField(_("requests per minute"), null=True, blank=True)
    tpm_limit = models.PositiveIntegerField(_("tokens per minute"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.name} ({self.masked_key})"

    @property
    def masked_key(self) -> str:
        return f"{API_KEY_PREFIX}{self.lookup_prefix}…"

    def is_expired(self, *, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def is_usable(self, *, now: datetime | None = None) -> bool:
        return self.enabled and not self.is_expired(now=now) and self.user.is_active

    def allows_model(self, model: str) -> bool:
        return not self.allowed_models or model in self.allowed_models

    def allows_ip(self, ip: str) -> bool:
        if not self.allowed_ips:
            return True
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in self.allowed_ips)

    def accepts(self, raw_key: str, *, now: datetime | None = None) -> bool:
        """Whether `raw_key` is this key and usable now; the hash is compared in constant time."""
        return hmac.compare_digest(self.key_hash, hash_api_key(raw_key)) and self.is_usable(now=now)

    def last_use_due(self, *, now: datetime) -> bool:
        """Whether `last_used_at` is older than API_KEY_LAST_USED_RESOLUTION (worth a write)."""
        resolution = settings.API_KEY_LAST_USED_RESOLUTION
        return self.last_used_at is None or now - self.last_used_at >= resolution


class SupportTicket(models.Model):
    """A question a user asked support; the messages are the thread."""

    class Status(models.TextChoices):
        # In context: several languages inflect the word for a ticket, unlike a request.
        OPEN = "open", pgettext_lazy("support ticket", "open")
        ANSWERED = "answered", pgettext_lazy("support ticket", "answered")
        CLOSED = "closed", pgettext_lazy("support ticket", "closed")

    class Category(models.TextChoices):
        ACCOUNT = "account", _("account and sign-in")
        API = "api", _("API and models")
        BILLING = "billing", _("billing and payments")
        PRIVACY = "privacy", _("privacy")
        OTHER = "other", _("something else")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_tickets"
    )
    subject = models.CharField(_("subject"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The date of last contact, from which the support retention period counts.
    updated_at = models.DateTimeField(_("last message at"), default=timezone.now)

    class Meta:
        verbose_name = _("support ticket")
        verbose_name_plural = _("support tickets")
        ordering = ("-updated_at", "-id")

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class TicketMessage(models.Model):
    """One message of a ticket's thread, from its user or from support staff."""

    ticket = models.ForeignKey(SupportTicket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("message"), max_length=5000)
    is_staff_reply = models.BooleanField(_("reply from support"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"Message {self.pk} on ticket {self.ticket_id}"


class Feedback(models.Model):
    """A short opinion about Tokengate, with an optional rating from 1 to 5."""

    RATINGS = [(n, str(n)) for n in range(1, 6)]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback"
    )
    message = models.TextField(_("message"), max_length=2000)
    rating = models.PositiveSmallIntegerField(_("rating"), choices=RATINGS, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback messages")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"Feedback {self.pk}"
