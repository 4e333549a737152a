from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from accounts import services
from accounts.models import User


class Command(BaseCommand):
    help = "Create a user with a verified email address (for operators and scripts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", help="Without it the user signs in after a reset.")
        parser.add_argument("--staff", action="store_true", help="Allow the user into admin.")
        parser.add_argument("--superuser", action="store_true", help="Grant every permission.")

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["email"].strip().lower()
        try:
            validate_email(email)
        except ValidationError as error:
            raise CommandError(f"Not a valid email address: {email}") from error
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"A user with the email {email} already exists.")
        user = services.create_user(
            email=email,
            password=options["password"],
            staff=options["staff"],
            superuser=options["superuser"],
        )
        self.stdout.write(f"Created user {user.email} (id {user.pk}).")
