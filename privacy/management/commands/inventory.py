from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from privacy.records import records_of_processing


class Command(BaseCommand):
    help = "Print the records of processing (Markdown) generated from the data inventory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", metavar="PATH", help="Write to this file instead.")

    def handle(self, *args: Any, **options: Any) -> None:
        records = records_of_processing()
        if options["output"] is None:
            self.stdout.write(records, ending="")
            return
        Path(options["output"]).write_text(records, encoding="utf-8", newline="\n")
        self.stderr.write(f"Wrote {options['output']}.")
