from __future__ import annotations

from django import template

from billing.money import format_amount

register = template.Library()


@register.filter
def amount(nanos: int) -> str:
    """Nano-units of the platform currency as a decimal amount ("0.000026")."""
    return format_amount(nanos)
