"""Data residency: where a channel processes requests, and where a user's may go.

A channel names its region; a user (in their preferences) and a plan may each restrict the
regions allowed. With both set, only regions both allow remain. A restricted user is never
routed to a channel outside the allowed regions, nor to a channel whose region is not
specified, since nobody can say where that one processes data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from gateway.errors import ApiError

if TYPE_CHECKING:
    from gateway.models import Channel


class Region(models.TextChoices):
    CN = "CN", _("China (mainland)")
    SG = "SG", _("Singapore")
    EU = "EU", _("European Union")
    US = "US", _("United States")


NO_CHANNEL_IN_ALLOWED_REGIONS = ApiError(
    403,
    "No channel serves this model in the regions allowed for your account. "
    "Change your region preferences in the Tokengate console.",
    type="permission_error",
    code="no_channel_in_allowed_regions",
    param="model",
)


def validate_regions(value: object) -> None:
    if not isinstance(value, list) or not all(item in Region.values for item in value):
        raise ValidationError(_("Choose regions from the list."))


class RegionsField(forms.MultipleChoiceField):
    """A JSON list of regions (a model field), edited as tick boxes."""

    def __init__(self, **kwargs: Any) -> None:
        for json_only in ("encoder", "decoder", "max_length"):
            kwargs.pop(json_only, None)
        kwargs["required"] = False
        super().__init__(choices=Region.choices, widget=forms.CheckboxSelectMultiple, **kwargs)


def allowed_regions(user_regions: Iterable[str], plan_regions: Iterable[str]) -> set[str] | None:
    """The regions allowed by both restrictions; None when neither restricts."""
    restrictions = [set(regions) for regions in (user_regions, plan_regions) if regions]
    if not restrictions:
        return None
    return set.intersection(*restrictions)


def within(channels: Iterable[Channel], allowed: set[str] | None) -> list[Channel]:
    if allowed is None:
        return list(channels)
    return [channel for channel in channels if channel.region in allowed]


def route_within_allowed_regions(
    channels: list[Channel], allowed: set[str] | None
) -> list[Channel]:
    """The channels a user allowed `allowed` may be routed to; refuses when the model has
    only others.

    No channels at all stays an empty list (the model is not served: the caller's 404).
    """
    permitted = within(channels, allowed)
    if channels and not permitted:
        raise NO_CHANNEL_IN_ALLOWED_REGIONS
    return permitted
