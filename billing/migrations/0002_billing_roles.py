"""Give the staff roles their billing permissions (roles come from accounts 0002)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Billing": [
        "view_plan",
        "add_plan",
        "change_plan",
        "view_price",
        "add_price",
        "view_wallet",
        "change_wallet",
        "view_ledgerentry",
        "adjust_balance",
        "view_hold",
        "view_topuporder",
        "view_redemptioncode",
        "add_redemptioncode",
        "view_invoice",
        "view_billingprofile",
    ],
    "Operator": ["view_plan", "view_price"],
    "Privacy Officer": ["view_billingprofile", "view_invoice"],
}


def grant(apps, schema_editor):
    billing_config = apps.get_app_config("billing")
    billing_config.models_module = True
    create_permissions(billing_config, apps=apps, verbosity=0)
    billing_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="billing", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in ROLE_PERMISSIONS:
        group = Group.objects.get(name=role)
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="billing"))


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial"), ("accounts", "0002_staff_roles")]

    operations = [migrations.RunPython(grant, revoke)]
