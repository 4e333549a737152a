"""Invoices (receipts) for paid top-ups, numbered in sequence."""

from __future__ import annotations

from django.db import transaction
from django.utils import translation

from accounts.models import Preferences
from billing.countries import country_name
from billing.models import BillingProfile, Invoice, TopUpOrder


def issue_invoice(order: TopUpOrder) -> Invoice:
    """Issue the invoice of a paid order once, with the billing details as they are now."""
    existing = Invoice.objects.filter(order=order).first()
    if existing is not None:
        return existing
    profile = BillingProfile.objects.filter(user_id=order.user_id).first()
    billed_to = billing_address(profile) if profile else ""
    with transaction.atomic():
        invoice = Invoice.objects.create(
            number=order.pk.hex,  # A unique placeholder until the primary key is known.
            order=order,
            billed_to=billed_to or order.user.email,
            tax_id=profile.tax_id if profile else "",
        )
        # The primary key gives a gap-free, increasing sequence within one database.
        invoice.number = f"TG-{invoice.issued_at:%Y}-{invoice.pk:06d}"
        invoice.save(update_fields=["number"])
    return invoice


def billing_address(profile: BillingProfile) -> str:
    """The profile's name, address and country, the country named in the user's language."""
    language = Preferences.objects.for_user(profile.user).language
    with translation.override(language):
        country = country_name(profile.country)
    return "\n".join(part for part in (profile.name, profile.address, country) if part)
