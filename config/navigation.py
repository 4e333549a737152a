"""The console's sidebar: one list of sections, so every page marks the current one the same way."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# (section title, [(URL name, label), ...]); URL names take no arguments.
CONSOLE_SECTIONS = [
    (
        _("Build"),
        [
            ("home", _("Dashboard")),
            ("api_keys", _("API keys")),
            ("usage", _("Usage")),
            ("model_catalog", _("Models")),
            ("playground", _("Playground")),
            ("quickstart", _("Quickstart")),
        ],
    ),
    (
        _("Billing"),
        [
            ("billing", _("Balance and top-ups")),
            ("billing_orders", _("Payment history")),
            ("billing_profile", _("Billing profile")),
        ],
    ),
    (
        _("Account"),
        [
            ("preferences", _("Profile and preferences")),
            ("security", _("Security")),
            ("privacy_centre", _("Privacy centre")),
            ("support", _("Support")),
        ],
    ),
]


def console_navigation(request: HttpRequest) -> dict[str, object]:
    """The sidebar for signed-in pages, with the current page marked."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    match = request.resolver_match
    current = match.url_name if match else None
    sections = [
        {
            "title": title,
            "items": [
                {"url": reverse(name), "label": label, "current": name == current}
                for name, label in items
            ],
        }
        for title, items in CONSOLE_SECTIONS
    ]
    return {"console_sections": sections}
