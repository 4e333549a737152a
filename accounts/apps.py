from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    # This module also holds the admin's config: say which one "accounts" means.
    default = True
    name = "accounts"
    verbose_name = _("Accounts")


class TokengateAdminConfig(admin_apps.AdminConfig):
    """Django's admin on our site class (accounts.admin_site)."""

    default = False
    default_site = "accounts.admin_site.TokengateAdminSite"
