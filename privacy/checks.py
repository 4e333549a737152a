from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register

from privacy.inventory import problems


@register()
def check_data_inventory(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every field of our models must be classified in its app's personal_data.py."""
    return [
        Error(
            problem,
            hint="Declare it with privacy.inventory.declare() in the app's personal_data.py "
            "(Personal(...) or NOT_PERSONAL).",
            id="privacy.E001",
        )
        for problem in problems()
    ]


@register(Tags.admin)
def check_admins_are_audited(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """An admin of a model holding personal data must record who looks at it."""
    from django.contrib import admin

    from privacy.audited_admin import unaudited_admins

    return [
        Error(
            f"The admin of {label} does not record access to personal data.",
            hint="Base it on privacy.audited_admin.AuditedAdmin.",
            id="privacy.E002",
        )
        for label in unaudited_admins(admin.site)
    ]
