from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gateway.models import Channel
from gateway.providers import PROVIDERS


class Command(BaseCommand):
    help = "Create (or update, by name) an upstream channel. The API key is stored encrypted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--provider", required=True, choices=sorted(PROVIDERS))
        parser.add_argument("--models", required=True, help="Comma-separated public model names.")
        parser.add_argument("--base-url", default="", help="Empty means the provider's default.")
        parser.add_argument("--api-key", default="", help="Or set it in admin; never printed.")
        parser.add_argument("--mapping", default="{}", help='JSON, e.g. {"doubao-pro": "ep-…"}')
        parser.add_argument(
            "--context-windows", default="{}", help='JSON, e.g. {"deepseek-chat": 65536}'
        )
        parser.add_argument("--priority", type=int, default=0)
        parser.add_argument("--weight", type=int, default=1)
        parser.add_argument("--disabled", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        channel = Channel.objects.filter(name=options["name"]).first() or Channel(
            name=options["name"]
        )
        channel.provider = options["provider"]
        channel.served_models = [m.strip() for m in options["models"].split(",") if m.strip()]
        channel.base_url = options["base_url"]
        channel.model_mapping = parse_json_option(options, "mapping")
        channel.context_windows = parse_json_option(options, "context_windows")
        channel.priority = options["priority"]
        channel.weight = options["weight"]
        channel.enabled = not options["disabled"]
        if options["api_key"]:
            channel.api_key = options["api_key"]
        try:
            channel.full_clean()
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        channel.save()
        models = ", ".join(channel.served_models)
        self.stdout.write(f"Channel {channel.name} ({channel.provider}) serves {models}.")


def parse_json_option(options: dict[str, Any], name: str) -> dict[str, Any]:
    try:
        value = json.loads(options[name])
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise CommandError(f"--{name.replace('_', '-')} must be a JSON object.")
    return value
