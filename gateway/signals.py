"""Keeping the gateway in step with changes saved elsewhere in this process."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import ApiToken, Preferences, User
from billing import ledger
from billing.models import Plan, Price, Wallet
from gateway import catalog, holds
from gateway.models import Channel
from gateway.tasks import delete_content_logs as delete_content_logs_task


@receiver(post_save, sender=Preferences)
def forget_content_when_logging_is_turned_off(
    sender: type[Preferences], instance: Preferences, **kwargs: Any
) -> None:
    # Accounts cannot depend on the gateway, so the gateway listens for the change.
    if not instance.content_logging:
        user_id = instance.user_id
        transaction.on_commit(lambda: delete_content_logs_task.delay(user_id))


@receiver([post_save, post_delete], sender=ApiToken)
def forget_cached_key(sender: type[ApiToken], instance: ApiToken, **kwargs: Any) -> None:
    catalog.tokens.forget(instance.lookup_prefix)


@receiver(post_save, sender=User)
def forget_cached_keys_of_changed_user(sender: type[User], instance: User, **kwargs: Any) -> None:
    # Cached keys carry their user (is_active, processing_restricted).
    catalog.tokens.forget()


@receiver([post_save, post_delete], sender=Wallet)
@receiver([post_save, post_delete], sender=Preferences)
def forget_cached_user_settings(
    sender: type, instance: Wallet | Preferences, **kwargs: Any
) -> None:
    catalog.user_settings.forget(instance.pk)


@receiver([post_save, post_delete], sender=Plan)
def forget_cached_plans(sender: type[Plan], instance: Plan, **kwargs: Any) -> None:
    catalog.user_settings.forget()


@receiver([post_save, post_delete], sender=Channel)
@receiver([post_save, post_delete], sender=Price)
def forget_cached_routing(sender: type, instance: Channel | Price, **kwargs: Any) -> None:
    catalog.routing.forget()


@receiver(ledger.balance_changed)
def mirror_balance_in_redis(
    sender: type, user_id: int, balance: int, version: int, **kwargs: Any
) -> None:
    if settings.REDIS_URL:
        holds.mirror_balance(user_id, balance, version)
