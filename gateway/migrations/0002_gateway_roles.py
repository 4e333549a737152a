"""Give the staff roles their gateway permissions (roles come from accounts 0002)."""

from django.db import migrations

from accounts import roles

ROLE_PERMISSIONS = {
    "Operator": ["view_channel", "add_channel", "change_channel", "view_usagelog"],
    "Support": ["view_usagelog"],
    "Billing": ["view_usagelog"],
    "Privacy Officer": ["view_usagelog"],
}


def grant_roles(apps, schema_editor):
    roles.grant(apps, "gateway", ROLE_PERMISSIONS)


def revoke_roles(apps, schema_editor):
    roles.revoke(apps, "gateway", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("gateway", "0001_initial"), ("accounts", "0002_staff_roles")]

    operations = [migrations.RunPython(grant_roles, revoke_roles)]
