from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

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
