"""Give the staff roles their billing permissions (roles come from accounts 0002)."""

from django.db import migrations

from accounts import roles

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


def grant_roles(apps, schema_editor):
    roles.grant(apps, "billing", ROLE_PERMISSIONS)


def revoke_roles(apps, schema_editor):
    roles.revoke(apps, "billing", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial"), ("accounts", "0002_staff_roles")]

    operations = [migrations.RunPython(grant_roles, revoke_roles)]
