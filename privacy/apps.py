from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        # Each app's personal_data.py declares its fields into the inventory.
        autodiscover_modules("personal_data")
        from privacy import checks, signals  # noqa: F401 - registers the check and receivers
