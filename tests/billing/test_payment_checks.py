"""Provider settings: a provider is offered only when complete, and a partial setup is an error."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from billing.payments import PROVIDERS, configured_providers, get_provider

# run_checks() runs every project check, and some of those read the database.
pytestmark = pytest.mark.django_db

NO_PROVIDERS = {
    "STRIPE_SECRET_KEY": "",
    "STRIPE_WEBHOOK_SECRET": "",
    "CREEM_API_KEY": "",
    "CREEM_WEBHOOK_SECRET": "",
    "CREEM_PRODUCT_ID": "",
    "ZPAY_PID": "",
    "ZPAY_KEY": "",
}
STRIPE = {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}
CREEM = {
    "CREEM_API_KEY": "creem_x",
    "CREEM_WEBHOOK_SECRET": "whsec_x",
    "CREEM_PRODUCT_ID": "prod_x",
}
ZPAY = {"ZPAY_PID": "1001", "ZPAY_KEY": "key"}


def billing_errors() -> list[tuple[str, str]]:
    return [
        (message.id, message.msg)
        for message in run_checks()
        if message.id and message.id.startswith("billing.")
    ]


def test_no_provider_configured_is_a_valid_setup():
    with override_settings(**NO_PROVIDERS):
        assert billing_errors() == []
        assert configured_providers() == []


def test_fully_configured_providers_are_offered_and_pass_the_check():
    with override_settings(**{**NO_PROVIDERS, **STRIPE, **CREEM, **ZPAY}):
        assert billing_errors() == []
        assert [provider.name for provider in configured_providers()] == ["stripe", "creem", "zpay"]


@pytest.mark.parametrize(
    ("partial", "message"),
    [
        (
            {"STRIPE_SECRET_KEY": "sk_test_x"},
            "stripe payments are partly configured: STRIPE_WEBHOOK_SECRET is empty.",
        ),
        (
            {"CREEM_WEBHOOK_SECRET": "whsec_x"},
            "creem payments are partly configured: CREEM_API_KEY, CREEM_PRODUCT_ID are empty.",
        ),
        ({"ZPAY_KEY": "key"}, "zpay payments are partly configured: ZPAY_PID is empty."),
    ],
)
def test_a_partly_configured_provider_is_an_error_and_is_not_offered(
    partial: dict[str, str], message: str
):
    with override_settings(**{**NO_PROVIDERS, **partial}):
        assert billing_errors() == [("billing.E001", message)]
        assert configured_providers() == []


def test_a_blank_secret_counts_as_empty():
    with override_settings(**{**NO_PROVIDERS, **STRIPE, "STRIPE_WEBHOOK_SECRET": "  "}):
        assert [error_id for error_id, _ in billing_errors()] == ["billing.E001"]
        assert not get_provider("stripe").is_configured()


@pytest.mark.parametrize("rate", ["", "seven", "0", "-7.2", "NaN"])
def test_zpay_needs_a_positive_exchange_rate(rate: str):
    with override_settings(**{**NO_PROVIDERS, **ZPAY, "ZPAY_EXCHANGE_RATE": rate}):
        assert [error_id for error_id, _ in billing_errors()] == ["billing.E002"]


def test_the_exchange_rate_is_not_checked_while_zpay_is_off():
    with override_settings(**{**NO_PROVIDERS, "ZPAY_EXCHANGE_RATE": "seven"}):
        assert billing_errors() == []


def test_providers_are_named_as_the_order_model_names_them():
    assert list(PROVIDERS) == ["stripe", "creem", "zpay"]
    assert [str(provider.label) for provider in PROVIDERS.values()] == [
        "Stripe",
        "Creem",
        "WeChat Pay / Alipay (ZPAY)",
    ]
    assert get_provider("zpay") is PROVIDERS["zpay"]
    with pytest.raises(KeyError):
        get_provider("paypal")
