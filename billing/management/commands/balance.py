from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from billing.management.commands.credit import find_user
from billing.models import Wallet
from billing.money import format_amount


class Command(BaseCommand):
    help = "Print a user's balance and the amount held for requests in flight."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        wallet = Wallet.objects.for_user(find_user(options["email"]).pk)
        currency = settings.PLATFORM_CURRENCY
        self.stdout.write(f"balance {format_amount(wallet.balance)} {currency}")
        self.stdout.write(f"held {format_amount(wallet.held)} {currency}")
        self.stdout.write(f"available {format_amount(wallet.available)} {currency}")
