"""Seed the retention policies promised by the privacy policy (section 7.1)."""

from django.db import migrations

from accounts import roles

POLICIES = [
    ("account", "Account data after account closure", 365),
    ("usage_logs", "API usage logs (metadata)", 90),
    ("content_logs", "Opt-in content logs", 30),
    ("payment_records", "Payment records after account closure", 7 * 365 + 2),
    ("support", "Support communications after last contact", 3 * 365),
    ("sessions", "Sessions", 30),
    ("consent_records", "Consent records after account closure", 365),
    ("privacy_requests", "Privacy requests after they were answered", 2 * 365),
    ("data_exports", "Data exports", 7),
]
ROLE_PERMISSIONS = {
    "Privacy Officer": [
        "view_retentionpolicy",
        "change_retentionpolicy",
        "view_retentionrun",
        "view_legalhold",
        "add_legalhold",
        "change_legalhold",
        "view_erasureplan",
        "change_erasureplan",
        "view_datasubjectrequest",
        "change_datasubjectrequest",
    ],
}


def seed(apps, schema_editor):
    RetentionPolicy = apps.get_model("privacy", "RetentionPolicy")
    for key, description, days in POLICIES:
        RetentionPolicy.objects.get_or_create(
            key=key, defaults={"description": description, "days": days}
        )


def grant_roles(apps, schema_editor):
    roles.grant(apps, "privacy", ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0004_retention_and_erasure")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
    ]
