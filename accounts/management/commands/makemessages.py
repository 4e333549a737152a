from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    # A new string must be translated by a person, not pre-filled from a similar old one:
    # msgmerge's fuzzy guesses were wrong more often than right in our catalogues.
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
