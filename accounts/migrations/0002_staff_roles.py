"""Create the four staff roles with least-privilege permissions.

Later issues extend these roles with migrations of their own as their models arrive.
"""

from django.db import migrations

from accounts import roles

ROLE_PERMISSIONS = {
    "Support": ["view_user", "view_apitoken", "change_apitoken"],
    "Billing": ["view_user"],
    "Privacy Officer": ["view_user", "change_user", "view_preferences", "view_apitoken"],
    "Operator": ["view_apitoken", "change_apitoken"],
}


def create_roles(apps, schema_editor):
    roles.grant(apps, "accounts", ROLE_PERMISSIONS)


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=roles.ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
