"""A form field for amounts of the platform currency, typed in units, kept in nano-units."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.money import InvalidAmount, format_amount, to_nanos


class AmountField(forms.DecimalField):
    """Typed as "5.00" (or "5,00" where the language writes it so); cleaned to nano-units.

    An initial value in nano-units (an int, as stored) is shown in units.
    """

    widget = forms.TextInput(attrs={"inputmode": "decimal"})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", Decimal(0))
        super().__init__(max_digits=12, decimal_places=2, localize=True, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            value = Decimal(format_amount(value))
        return super().prepare_value(value)

    def clean(self, value: Any) -> int | None:
        amount = super().clean(value)
        try:
            return None if amount is None else to_nanos(amount)
        except InvalidAmount as error:
            raise forms.ValidationError(_("Enter an amount such as 5.00.")) from error
