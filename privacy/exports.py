"""Building a person's data export from the inventory: every exported field of every row.

The archive is a zip of JSON files, one per data category, plus a README in the person's
language. Rows are found through each model's declared subject path, so other people's
rows never enter it, and fields declared `export=False` (password and key hashes, staff
identities) never do either.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import models
from django.db.models.fields.files import FieldFile
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import User
from privacy.inventory import our_models, personal_fields, rows_of


def plain(value: Any) -> Any:
    """A JSON-friendly form of a field value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, models.Model):
        return value.pk
    return value


def collect(user: User) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """category -> model label -> rows (each with its id and the category's fields)."""
    data: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for model in our_models():
        exported = {name: item for name, item in personal_fields(model).items() if item.export}
        if not exported:
            continue
        for row in rows_of(model, user.pk):
            by_category: dict[str, dict[str, Any]] = {}
            for name, item in exported.items():
                field = model._meta.get_field(name)
                attribute = item.export_as or getattr(field, "attname", name)
                value = getattr(row, attribute)
                if field.many_to_many:
                    value = sorted(str(related) for related in value.all())
                by_category.setdefault(item.category, {"id": plain(row.pk)})[name] = plain(value)
            for category, fields in by_category.items():
                data[category][model._meta.label].append(fields)
    return data


def build_archive(user: User, *, language: str) -> bytes:
    data = collect(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for category, models_rows in sorted(data.items()):
            filename = category.replace("/", "-").replace(" ", "-") + ".json"
            content = json.dumps(models_rows, indent=2, ensure_ascii=False, sort_keys=True)
            archive.writestr(filename, content)
        with translation.override(language):
            readme = render_to_string(
                "privacy/export_readme.txt",
                {"user": user, "created_at": timezone.now(), "categories": sorted(data)},
            )
        archive.writestr("README.txt", readme)
    return buffer.getvalue()
