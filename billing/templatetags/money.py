"""Amounts of nano-units in templates, localised like any other number."""

from __future__ import annotations

from decimal import Decimal

from django import template

from billing.money import format_amount

register = template.Library()


@register.filter
def money(nanos: int) -> Decimal:
    """`{{ wallet.balance|money }}`: 20000000000 shows as 20.00 (20,00 in French)."""
    return Decimal(format_amount(nanos))
