"""Settings for the beat of `make prod-smoke`: production settings, with the retention job due
every few seconds so the smoke can watch beat, broker and worker run it."""

from config.settings import *  # noqa: F403
from config.settings import CELERY_BEAT_SCHEDULE as PRODUCTION_SCHEDULE

CELERY_BEAT_SCHEDULE = {"retention": {**PRODUCTION_SCHEDULE["retention"], "schedule": 3.0}}
