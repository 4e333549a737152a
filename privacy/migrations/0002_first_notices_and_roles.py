"""Publish version 1 of each consent notice in the six languages; give the roles access."""

from django.conf import settings
from django.db import migrations
from django.utils import translation

from accounts import roles

ROLE_PERMISSIONS = {
    "Privacy Officer": [
        "view_consentnotice",
        "add_consentnotice",
        "change_consentnotice",
        "view_consentrecord",
    ],
    "Support": ["view_consentrecord"],
}


def publish_first_notices(apps, schema_editor):
    from privacy.notices import FIRST_NOTICES

    ConsentNotice = apps.get_model("privacy", "ConsentNotice")
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for purpose, text in FIRST_NOTICES.items():
                ConsentNotice.objects.get_or_create(
                    purpose=purpose, version=1, language=language, defaults={"text": str(text)}
                )


def grant_roles(apps, schema_editor):
    roles.grant(apps, "privacy", ROLE_PERMISSIONS)


def revoke_roles(apps, schema_editor):
    roles.revoke(apps, "privacy", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial"), ("accounts", "0002_staff_roles")]

    operations = [
        migrations.RunPython(publish_first_notices, migrations.RunPython.noop),
        migrations.RunPython(grant_roles, revoke_roles),
    ]
