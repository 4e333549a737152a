"""AES-256-GCM at rest, with the key ring from FIELD_ENCRYPTION_KEYS.

A ciphertext reads `keyid:base64(nonce + ciphertext + tag)`. The first key of the ring
encrypts; any key of the ring decrypts, so keys rotate by putting a new one first. The
associated data names what the value belongs to (a field, a row), so a ciphertext copied
to another field or row does not decrypt.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import models

NONCE_BYTES = 12


class DecryptionError(Exception):
    pass


def encrypt(plaintext: str, *, associated_data: str) -> str:
    key_id, key = next(iter(settings.FIELD_ENCRYPTION_KEYS.items()))
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), associated_data.encode())
    return f"{key_id}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(ciphertext: str, *, associated_data: str) -> str:
    key_id, _separator, encoded = ciphertext.partition(":")
    key = settings.FIELD_ENCRYPTION_KEYS.get(key_id)
    if key is None:
        raise DecryptionError(f"No key {key_id!r} in FIELD_ENCRYPTION_KEYS.")
    raw = base64.b64decode(encoded)
    try:
        plaintext = AESGCM(key).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data.encode()
        )
    except InvalidTag as error:
        raise DecryptionError("The ciphertext or its associated data was altered.") from error
    return plaintext.decode()


class EncryptedTextField(models.TextField):
    """A text field stored encrypted; the associated data is the model and field name."""

    def contribute_to_class(
        self, cls: type[models.Model], name: str, *args: Any, **kwargs: Any
    ) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.associated_data = f"{cls._meta.label}.{name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return decrypt(value, associated_data=self.associated_data)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return encrypt(value, associated_data=self.associated_data)
