"""The data inventory: which fields of our models hold personal data, and what happens to them.

Each app declares its models in its own `personal_data.py` with `declare(Model, field=...)`;
every concrete field must be declared, either as `Personal(...)` or as `NOT_PERSONAL`, or the
system check `privacy.E001` fails. Export, erasure, retention and the records of processing
(`manage.py inventory`) are all driven from these declarations, so a new field cannot escape
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.apps import apps
from django.db import models

# The apps whose models must all be classified.
OUR_APPS = ("accounts", "billing", "gateway", "privacy")


class Category(StrEnum):
    IDENTITY = "identity"
    CONTACT = "contact"
    ACCOUNT = "account"
    BILLING = "billing"
    USAGE = "usage metadata"
    CONTENT = "content"
    DEVICE = "device/network"
    SUPPORT = "support"
    CONSENT = "consent"


class Basis(StrEnum):
    CONTRACT = "contract (GDPR Art. 6(1)(b))"
    LEGITIMATE_INTEREST = "legitimate interest (Art. 6(1)(f))"
    CONSENT = "consent (Art. 6(1)(a))"
    LEGAL_OBLIGATION = "legal obligation (Art. 6(1)(c))"


class Erasure(StrEnum):
    DELETE = "delete"  # the row (or the value) goes
    ANONYMIZE = "anonymize"  # the value is replaced following `strategy`
    RETAIN = "retain"  # kept under `basis` for the retention period, then deleted


class Retention(StrEnum):
    """Retention policies, named after the privacy policy's section 7.1."""

    ACCOUNT = "account data: while active + 12 months after closure"
    USAGE_LOGS = "API usage logs: 90 days"
    CONTENT_LOGS = "opt-in content logs: 30 days"
    PAYMENT_RECORDS = "payment records: 7 years"
    SUPPORT = "support communications: 3 years from last contact"
    ANALYTICS = "analytics page views (with consent): 90 days"
    SESSIONS = "sessions: 30 days"
    CONSENT_RECORDS = "consent records: while active + 12 months after closure"
    PRIVACY_REQUESTS = "privacy requests: 24 months after closing"
    DATA_EXPORTS = "data exports: 7 days"
    ACCESS_AUDIT = "staff access records: 2 years"
    BREACH_RECORDS = "breach register: 5 years"


@dataclass(frozen=True)
class Personal:
    """A field holding personal data, and what the platform does with it."""

    category: Category
    purpose: str
    basis: Basis
    retention: Retention
    export: bool = True
    erasure: Erasure = Erasure.DELETE
    # For ANONYMIZE: how the value is replaced ("blank", "null", "deleted-user-email", ...).
    strategy: str = ""
    # The model attribute exported instead of the stored value (e.g. a decrypting property).
    export_as: str = ""

    def __post_init__(self) -> None:
        if (self.erasure == Erasure.ANONYMIZE) != bool(self.strategy):
            raise ValueError("A strategy names how to anonymize, and only anonymized fields.")


class NotPersonal:
    """An explicit classification: this field holds no personal data."""

    def __repr__(self) -> str:
        return "NOT_PERSONAL"


NOT_PERSONAL = NotPersonal()
Classification = Personal | NotPersonal

# "app_label.ModelName" -> field name -> classification.
REGISTRY: dict[str, dict[str, Classification]] = {}
# "app_label.ModelName" -> the lookup from a row to its person's user id ("user",
# "wallet__user", "pk" for the user itself), or None for rows about no one in particular.
SUBJECTS: dict[str, str | None] = {}


def declare(model: type[models.Model], subject: str | None, /, **fields: Classification) -> None:
    """Classify every field of `model`; `subject` finds the person a row is about."""
    REGISTRY[model._meta.label] = dict(fields)
    SUBJECTS[model._meta.label] = subject


def rows_of(model: type[models.Model], user_id: int) -> models.QuerySet[models.Model]:
    """The rows of `model` about the user; none for models about no one in particular."""
    subject = SUBJECTS.get(model._meta.label)
    if subject is None:
        return model._default_manager.none()
    return model._default_manager.filter(**{subject: user_id})


def our_models() -> list[type[models.Model]]:
    return [model for label in OUR_APPS for model in apps.get_app_config(label).get_models()]


def field_names(model: type[models.Model]) -> list[str]:
    """The fields that store something: columns and many-to-many relations."""
    return [field.name for field in (*model._meta.concrete_fields, *model._meta.many_to_many)]


def problems() -> list[str]:
    """Fields of our models with no classification, and declarations of fields that are gone."""
    found = []
    for model in our_models():
        declared = REGISTRY.get(model._meta.label, {})
        names = field_names(model)
        found += [
            f"{model._meta.label}.{name} is not classified"
            for name in names
            if name not in declared
        ]
        found += [
            f"{model._meta.label}.{name} is declared but does not exist"
            for name in declared
            if name not in names
        ]
    return found


def personal_fields(model: type[models.Model]) -> dict[str, Personal]:
    declared = REGISTRY.get(model._meta.label, {})
    return {name: item for name, item in declared.items() if isinstance(item, Personal)}
