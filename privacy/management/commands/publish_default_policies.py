from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from privacy.policies import publish_defaults


class Command(BaseCommand):
    help = (
        "On a fresh install: publish the shipped privacy policy, terms and cookie notice as "
        "version 1 of each document that has no published version yet."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        published, drafted = publish_defaults()
        languages = ", ".join(code for code, _name in settings.LANGUAGES)
        for kind in published:
            self.stdout.write(f"Published {kind} version 1 in {languages}.")
        for kind in drafted:
            self.stdout.write(f"Left {kind} alone: a draft is waiting to be published in admin.")
        if not published and not drafted:
            self.stdout.write("Nothing to publish: every document has a published version.")
