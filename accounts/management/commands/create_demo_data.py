from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import User

DEMO_USERS = (
    # (email, password, superuser)
    ("admin@example.com", "tokengate-admin", True),
    ("demo@example.com", "tokengate-demo", False),
)


class Command(BaseCommand):
    help = "Create the demo admin and demo user once (development only) and print their logins."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data is for development only (DJANGO_ENV=production).")
        for email, password, superuser in DEMO_USERS:
            if not User.objects.filter(email=email).exists():
                services.create_user(email=email, password=password, superuser=superuser)
            role = "admin" if superuser else "user"
            self.stdout.write(f"Demo {role}: {email} / {password}")
