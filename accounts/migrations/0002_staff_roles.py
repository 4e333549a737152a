"""Create the four staff roles with least-privilege permissions.

Later issues extend these roles with migrations of their own as their models arrive.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Support": ["view_user", "view_apitoken", "change_apitoken"],
    "Billing": ["view_user"],
    "Privacy Officer": ["view_user", "change_user", "view_preferences", "view_apitoken"],
    "Operator": ["view_apitoken", "change_apitoken"],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; create ours now to assign them.
    accounts_config = apps.get_app_config("accounts")
    accounts_config.models_module = True
    create_permissions(accounts_config, apps=apps, verbosity=0)
    accounts_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
        )


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
