from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Create an API key for a user. The key is printed alone on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="cli")
        parser.add_argument("--models", default="", help="Comma-separated model allowlist.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"No user with the email {options['email']}.")
        if not user.is_active:
            raise CommandError(f"The user {user.email} is not active.")
        models = [model.strip() for model in options["models"].split(",") if model.strip()]
        token, raw_key = ApiToken.objects.issue(
            user=user, name=options["name"], allowed_models=models
        )
        self.stdout.write(f"Created API key {token.masked_key} for {user.email}.")
        self.stdout.write(raw_key)
