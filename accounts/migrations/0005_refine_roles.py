"""Refine the roles page by page: customers' API keys are Support's, not the Operator's.

Operators run channels, models and prices; they no longer see customers' keys (personal
data). Support, who answers customers, may read their language and time zone preferences.
"""

from django.db import migrations

from accounts import roles

WITHDRAWN = {"Operator": ["view_apitoken", "change_apitoken"]}
GRANTED = {"Support": ["view_preferences"]}


def refine(apps, schema_editor):
    roles.withdraw(apps, "accounts", WITHDRAWN)
    roles.grant(apps, "accounts", GRANTED)


def restore(apps, schema_editor):
    roles.grant(apps, "accounts", WITHDRAWN)
    roles.withdraw(apps, "accounts", GRANTED)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_user_processing_restricted")]

    operations = [migrations.RunPython(refine, restore)]
