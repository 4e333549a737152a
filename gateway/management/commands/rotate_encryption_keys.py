from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gateway.key_rotation import current_key_id, encrypted_columns, rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value under the first key of FIELD_ENCRYPTION_KEYS. "
        "Idempotent; run it again to resume after an interruption."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--max-batches",
            type=int,
            default=None,
            help="Stop after this many batches (to rotate in slices); run again to go on.",
        )

    def handle(self, *args: Any, batch_size: int, max_batches: int | None, **options: Any) -> None:
        batches = 0
        for column in encrypted_columns():
            done = 0
            for count in rotate(column, batch_size=batch_size):
                done += count
                batches += 1
                if max_batches is not None and batches >= max_batches:
                    self.stdout.write(f"{column.label}: {done} re-encrypted; stopped early.")
                    self.stdout.write("Run the command again to finish.")
                    return
            self.stdout.write(f"{column.label}: {done} re-encrypted.")
        self.stdout.write(
            f"Every encrypted value is under key {current_key_id()!r}; "
            "the other keys can now be removed from FIELD_ENCRYPTION_KEYS."
        )
