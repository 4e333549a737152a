"""Re-encrypting stored values under the first key of FIELD_ENCRYPTION_KEYS.

Rotation (docs/operations.md): put the new key first, keep the old ones after it, run
`manage.py rotate_encryption_keys`, then drop the old keys. Every EncryptedTextField of every
installed model is covered, and so are the content logs' sealed columns. Each value whose
ciphertext names another key is decrypted and encrypted again, in batches by primary key,
each batch in its own transaction with its rows locked. Only values still under an old key
are selected, so the command is idempotent, and a run that was interrupted (or limited with
`--max-batches`) resumes where it stopped when run again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import models, transaction

from gateway.encryption import EncryptedTextField, decrypt, encrypt
from gateway.models import ContentLog


@dataclass(frozen=True)
class Column:
    """One encrypted column and how to re-encrypt one row's value in it."""

    model: type[models.Model]
    name: str
    reseal: Callable[[models.Model], None]

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.name}"

    def stale(self) -> models.QuerySet[models.Model]:
        """Rows whose value is encrypted under a key other than the current one.

        `startswith` compares the stored text as it is (pattern lookups skip the field's
        encryption), and the key id ends at the first colon.
        """
        rows = self.model._default_manager.exclude(**{self.name: ""})
        rows = rows.exclude(**{f"{self.name}__isnull": True})
        return rows.exclude(**{f"{self.name}__startswith": f"{current_key_id()}:"})


def current_key_id() -> str:
    return next(iter(settings.FIELD_ENCRYPTION_KEYS))


def field_column(model: type[models.Model], name: str) -> Column:
    def reseal(row: models.Model) -> None:
        # Loading decrypted the value with its own key; saving encrypts it with the first.
        row.save(update_fields=[name])

    return Column(model, name, reseal)


def content_log_column(name: str, part: str) -> Column:
    def reseal(row: models.Model) -> None:
        associated_data = f"{row.request_id}:{part}"  # type: ignore[attr-defined]
        plaintext = decrypt(getattr(row, name), associated_data=associated_data)
        setattr(row, name, encrypt(plaintext, associated_data=associated_data))
        row.save(update_fields=[name])

    return Column(ContentLog, name, reseal)


def encrypted_columns() -> list[Column]:
    columns = [
        field_column(model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]
    columns.append(content_log_column("prompt_encrypted", "prompt"))
    columns.append(content_log_column("response_encrypted", "response"))
    return columns


def rotate(column: Column, *, batch_size: int) -> Iterator[int]:
    """Re-encrypt the column's stale rows; yields how many each batch did."""
    after = None
    while True:
        with transaction.atomic():
            batch = column.stale().order_by("pk")
            if after is not None:
                batch = batch.filter(pk__gt=after)
            rows = list(batch.select_for_update()[:batch_size])
            for row in rows:
                column.reseal(row)
        if not rows:
            return
        after = rows[-1].pk
        yield len(rows)
