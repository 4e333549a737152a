"""Granting the staff roles their permissions from data migrations.

Each app's migration lists what each role may do with that app's models; this module is
the one way those lists become group permissions. Migrations pass their historical `apps`.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.management import create_permissions

ROLES = ("Support", "Billing", "Privacy Officer", "Operator")


def grant(apps: Any, app_label: str, role_permissions: dict[str, list[str]]) -> None:
    # Permissions are normally created after all migrations; create this app's now.
    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in role_permissions.items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def revoke(apps: Any, app_label: str, role_permissions: dict[str, list[str]]) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=role_permissions):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label))


def withdraw(apps: Any, app_label: str, role_permissions: dict[str, list[str]]) -> None:
    """Take the named permissions of one app away from roles (a refinement, not a reset)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in role_permissions.items():
        for group in Group.objects.filter(name=role):
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )
