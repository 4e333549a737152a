from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiToken, User
from billing import ledger
from billing.models import Price
from billing.money import to_nanos
from gateway.models import Channel

DEMO_MODEL = "mock-model"
DEMO_EMAIL = "demo@example.com"
DEMO_KEY_NAME = "make run"


class Command(BaseCommand):
    help = (
        "Development only: a mock channel and its price, $10 for the demo user (once), and a "
        "fresh demo key printed with a curl line."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("The mock channel is for development only (DJANGO_ENV=production).")
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            raise CommandError("Run create_demo_data first.")
        Channel.objects.get_or_create(
            name="mock", defaults={"provider": "mock", "served_models": [DEMO_MODEL]}
        )
        if Price.objects.current(DEMO_MODEL) is None:
            Price.objects.create(
                model=DEMO_MODEL,
                input_per_million=to_nanos("0.10"),
                output_per_million=to_nanos("0.40"),
            )
        ledger.adjust_balance(
            user_id=user.pk,
            amount=to_nanos("10"),
            reason="Demo credit",
            actor_id=None,
            idempotency_key="demo-credit",
        )
        # Keys are shown once, so each run replaces the previous demo key.
        ApiToken.objects.filter(user=user, name=DEMO_KEY_NAME).delete()
        _token, raw_key = ApiToken.objects.issue(user=user, name=DEMO_KEY_NAME)
        self.stdout.write(f"Demo API key ({DEMO_EMAIL}): {raw_key}")
        self.stdout.write(
            "Try it: curl http://127.0.0.1:8000/v1/chat/completions "
            f"-H 'Authorization: Bearer {raw_key}' -H 'Content-Type: application/json' "
            f'-d \'{{"model": "{DEMO_MODEL}", "messages": [{{"role": "user", "content": "Hi"}}]}}\''
        )
