from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gateway.encryption import EncryptedTextField, decrypt, encrypt
from gateway.providers import PROVIDER_CHOICES, Provider, get_provider
from gateway.regions import Region
from gateway.upstream_urls import validate_upstream_url


def validate_model_mapping(value: Any) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(key, str) and isinstance(item, str) and key and item
        for key, item in value.items()
    ):
        raise ValidationError(_("Enter an object mapping public model names to upstream names."))


def validate_context_windows(value: Any) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(key, str) and key and type(item) is int and item > 0
        for key, item in value.items()
    ):
        raise ValidationError(
            _("Enter an object mapping public model names to context sizes in tokens.")
        )


class Channel(models.Model):
    """An upstream account: where requests for some models go, and with which key."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    provider = models.CharField(_("model provider"), max_length=32, choices=PROVIDER_CHOICES)
    base_url = models.CharField(
        _("base URL"),
        max_length=500,
        blank=True,
        help_text=_("Empty means the provider's default."),
    )
    # Encrypted with AES-256-GCM; never shown again after it is saved.
    api_key = EncryptedTextField(_("API key"), blank=True)
    served_models = models.JSONField(
        _("models"), default=list, help_text=_("Public model names this channel serves.")
    )
    model_mapping = models.JSONField(
        _("model name mapping"),
        default=dict,
        blank=True,
        validators=[validate_model_mapping],
        help_text=_("Public name to the upstream's name (for example a Doubao endpoint ID)."),
    )
    context_windows = models.JSONField(
        _("context sizes"),
        default=dict,
        blank=True,
        validators=[validate_context_windows],
        help_text=_(
            "Public model name to the most tokens (prompt and completion) the upstream accepts; "
            "shown in the model catalog."
        ),
    )
    priority = models.IntegerField(
        _("priority"), default=0, help_text=_("Higher priorities are tried first.")
    )
    weight = models.PositiveIntegerField(
        _("weight"), default=1, help_text=_("Share of traffic among channels of one priority.")
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    connect_timeout = models.FloatField(_("connect timeout (seconds)"), default=10)
    read_timeout = models.FloatField(_("read timeout (seconds)"), default=300)
    plan = models.ForeignKey(
        "billing.Plan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("plan"),
        help_text=_("Only users on this plan are routed here. Empty means everyone."),
    )
    region = models.CharField(
        _("region"),
        max_length=8,
        choices=Region.choices,
        blank=True,
        help_text=_(
            "Where the upstream processes requests. Users restricted to regions are never "
            "routed to a channel without one."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ("-priority", "name")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.served_models, list) or not all(
            isinstance(model, str) and model for model in self.served_models
        ):
            raise ValidationError({"served_models": _("Enter a list of model names.")})
        if self.provider == "mock":
            if settings.PRODUCTION:
                raise ValidationError({"provider": _("The mock provider is for development only.")})
            return
        if not self.effective_base_url:
            raise ValidationError({"base_url": _("This provider needs a base URL.")})
        validate_upstream_url(self.effective_base_url)

    @property
    def adapter(self) -> Provider:
        return get_provider(self.provider)

    @property
    def effective_base_url(self) -> str:
        return self.base_url or self.adapter.default_base_url

    def upstream_model(self, model: str) -> str:
        return self.model_mapping.get(model, model)


class UsageLog(models.Model):
    """One gateway request, metadata only: never the prompt, the response or a key."""

    request_id = models.CharField(_("request id"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="usage_logs",
        verbose_name=_("user"),
    )
    api_token = models.ForeignKey(
        "accounts.ApiToken",
        null=True,
        on_delete=models.SET_NULL,
        related_name="usage_logs",
        verbose_name=_("API key"),
    )
    endpoint = models.CharField(_("endpoint"), max_length=32)
    model = models.CharField(_("model"), max_length=100)
    channel = models.ForeignKey(
        Channel, null=True, on_delete=models.SET_NULL, verbose_name=_("channel")
    )
    stream = models.BooleanField(_("streamed"), default=False)
    status_code = models.PositiveSmallIntegerField(_("status"))
    latency_ms = models.PositiveIntegerField(_("latency (ms)"))
    first_token_ms = models.PositiveIntegerField(_("time to first token (ms)"), null=True)
    input_tokens = models.PositiveIntegerField(_("input tokens"), default=0)
    cached_input_tokens = models.PositiveIntegerField(_("cached input tokens"), default=0)
    output_tokens = models.PositiveIntegerField(_("output tokens"), default=0)
    usage_counted_locally = models.BooleanField(
        _("tokens counted locally"),
        default=False,
        help_text=_("The upstream reported no usage, so the gateway counted the tokens."),
    )
    cost = models.BigIntegerField(_("cost"), default=0)
    error_class = models.CharField(_("error"), max_length=64, blank=True)
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("usage log")
        verbose_name_plural = _("usage logs")
        ordering = ("-created_at",)
        indexes = [models.Index(fields=("user", "created_at"))]

    def __str__(self) -> str:
        return self.request_id


class ContentLog(models.Model):
    """The prompt and response of one request, kept only for users who opted in (30 days).

    Both are encrypted with AES-256-GCM; the associated data names the request and the part,
    so a ciphertext moved to another row or column does not decrypt.
    """

    request_id = models.CharField(_("request id"), max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="content_logs"
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    prompt_encrypted = models.TextField()
    response_encrypted = models.TextField()

    class Meta:
        verbose_name = _("content log")
        verbose_name_plural = _("content logs")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.request_id

    @classmethod
    def sealed(cls, *, request_id: str, user_id: int, prompt: str, response: str) -> ContentLog:
        return cls(
            request_id=request_id,
            user_id=user_id,
            prompt_encrypted=encrypt(prompt, associated_data=f"{request_id}:prompt"),
            response_encrypted=encrypt(response, associated_data=f"{request_id}:response"),
        )

    @property
    def prompt(self) -> str:
        return decrypt(self.prompt_encrypted, associated_data=f"{self.request_id}:prompt")

    @property
    def response(self) -> str:
        return decrypt(self.response_encrypted, associated_data=f"{self.request_id}:response")
