from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from billing.models import Price
from billing.money import InvalidAmount, format_amount, to_nanos


class Command(BaseCommand):
    help = (
        "Set a model's price per million tokens, in the platform currency. It takes effect for "
        "new requests at once; the previous price stays as history."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", required=True)
        parser.add_argument("--input", required=True, help="Price of 1M input tokens, e.g. 0.27")
        parser.add_argument("--output", required=True, help="Price of 1M output tokens")
        parser.add_argument("--cached-input", help="Price of 1M cached input tokens")
        parser.add_argument("--request-fee", default="0", help="Fee added to every request")

    def handle(self, *args: Any, **options: Any) -> None:
        price = Price.objects.create(
            model=options["model"].strip(),
            input_per_million=parse(options["input"]),
            output_per_million=parse(options["output"]),
            cached_input_per_million=(
                parse(options["cached_input"]) if options["cached_input"] else None
            ),
            request_fee=parse(options["request_fee"]),
        )
        rates = price.rates
        self.stdout.write(
            f"{price.model}: input {format_amount(rates.input_per_million)}, cached input "
            f"{format_amount(rates.cached_input_per_million)}, output "
            f"{format_amount(rates.output_per_million)} per 1M tokens; "
            f"fee {format_amount(rates.request_fee)} per request."
        )


def parse(value: str) -> int:
    try:
        nanos = to_nanos(value)
    except InvalidAmount as error:
        raise CommandError(str(error)) from error
    if nanos < 0:
        raise CommandError(f"A price cannot be negative: {value}")
    return nanos
