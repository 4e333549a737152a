from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from billing import ledger
from billing.money import InvalidAmount, format_amount, to_nanos


class Command(BaseCommand):
    help = "Credit (or, with a negative amount, debit) a user's balance as an adjustment."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--amount", required=True, help="In the platform currency, e.g. 12.50")
        parser.add_argument("--reason", required=True)
        parser.add_argument("--operator", help="Email of the staff member acting (recorded).")
        parser.add_argument(
            "--idempotency-key", help="Re-running with the same key credits only once."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = find_user(options["email"])
        operator = find_user(options["operator"]) if options["operator"] else None
        try:
            amount = to_nanos(options["amount"])
        except InvalidAmount as error:
            raise CommandError(str(error)) from error
        try:
            entry = ledger.adjust_balance(
                user_id=user.pk,
                amount=amount,
                reason=options["reason"],
                actor_id=operator.pk if operator else None,
                idempotency_key=options["idempotency_key"] or str(uuid.uuid4()),
            )
        except ledger.InsufficientBalance as error:
            raise CommandError("The balance cannot go below zero.") from error
        self.stdout.write(
            f"Adjusted {user.email} by {format_amount(entry.amount)}; "
            f"balance {format_amount(entry.balance_after)}."
        )


def find_user(email: str) -> User:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError(f"No user with the email {email}.")
    return user
