from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from privacy.erasure import replay_erasures


class Command(BaseCommand):
    help = "After restoring a backup: erase again every account on the suppression list."

    def handle(self, *args: Any, **options: Any) -> None:
        erased = replay_erasures()
        self.stdout.write(f"Erased {len(erased)} restored account(s) again.")
