"""The data inventory: every field classified, the check, and the records of processing."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

from accounts.models import ApiToken, User
from billing.models import BillingProfile, Invoice
from privacy import inventory
from privacy.inventory import (
    NOT_PERSONAL,
    REGISTRY,
    Basis,
    Category,
    Erasure,
    Personal,
    Retention,
    our_models,
    personal_fields,
)
from privacy.records import records_of_processing

DOC = Path(settings.BASE_DIR) / "docs" / "data-inventory.md"
REGENERATE = ".venv/bin/python manage.py inventory --output docs/data-inventory.md"


def unclassified() -> list[str]:
    # Django's own model checks ask the database about its features: tests using this need it.
    return [str(message.msg) for message in run_checks() if message.id == "privacy.E001"]


@pytest.mark.django_db
def test_every_field_of_accounts_billing_and_gateway_is_classified():
    # The privacy app's own models are declared by their author, alongside the models.
    ours = [
        problem
        for problem in unclassified()
        if problem.startswith(("accounts.", "billing.", "gateway."))
    ]

    assert ours == []


@pytest.mark.django_db
def test_the_check_names_a_new_field_of_a_new_model(monkeypatch: pytest.MonkeyPatch):
    with isolate_apps("accounts") as isolated_apps:

        class Nickname(models.Model):
            nickname = models.CharField(max_length=50)

            class Meta:
                app_label = "accounts"

            def __str__(self) -> str:
                return self.nickname

        # The inventory looks models up in the global registry; point it at the isolated one.
        monkeypatch.setattr(inventory, "apps", isolated_apps)
        monkeypatch.setattr(inventory, "OUR_APPS", ("accounts",))
        monkeypatch.setitem(REGISTRY, "accounts.Nickname", {"id": NOT_PERSONAL})

        assert our_models() == [Nickname]
        assert unclassified() == ["accounts.Nickname.nickname is not classified"]


@pytest.mark.django_db
def test_the_check_names_a_field_of_the_user_that_lost_its_declaration(
    monkeypatch: pytest.MonkeyPatch,
):
    declared = {name: item for name, item in REGISTRY["accounts.User"].items() if name != "bio"}
    monkeypatch.setitem(REGISTRY, "accounts.User", declared)

    assert "accounts.User.bio is not classified" in unclassified()


@pytest.mark.django_db
def test_a_declaration_of_a_field_that_no_longer_exists_is_reported(
    monkeypatch: pytest.MonkeyPatch,
):
    declared = {**REGISTRY["accounts.User"], "nickname": NOT_PERSONAL}
    monkeypatch.setitem(REGISTRY, "accounts.User", declared)

    assert "accounts.User.nickname is declared but does not exist" in unclassified()


def test_anonymizing_needs_a_strategy():
    with pytest.raises(ValueError, match="strategy"):
        Personal(
            category=Category.IDENTITY,
            purpose="Account management",
            basis=Basis.CONTRACT,
            retention=Retention.ACCOUNT,
            erasure=Erasure.ANONYMIZE,
        )


def test_a_strategy_is_only_for_anonymized_fields():
    with pytest.raises(ValueError, match="strategy"):
        Personal(
            category=Category.IDENTITY,
            purpose="Account management",
            basis=Basis.CONTRACT,
            retention=Retention.ACCOUNT,
            strategy="blank",
        )


def test_secrets_and_their_hashes_are_never_exported():
    secrets = [
        item
        for declared in REGISTRY.values()
        for name, item in declared.items()
        if isinstance(item, Personal) and ("hash" in name or "password" in name)
    ]

    assert len(secrets) >= 2
    assert not any(item.export for item in secrets)
    assert not personal_fields(User)["password"].export
    assert not personal_fields(ApiToken)["lookup_prefix"].export
    # The operator's upstream key is a secret too, but nobody's personal data.
    assert REGISTRY["gateway.Channel"]["api_key"] is NOT_PERSONAL


def test_a_link_to_a_user_is_always_personal_data():
    links = [
        (model._meta.label, field.name)
        for model in our_models()
        for field in model._meta.concrete_fields
        if field.related_model is User
    ]

    assert ("gateway.UsageLog", "user") in links
    for label, name in links:
        assert isinstance(REGISTRY[label][name], Personal), f"{label}.{name}"


def test_payment_records_survive_erasure_and_the_billing_profile_does_not():
    invoice = personal_fields(Invoice)
    profile = personal_fields(BillingProfile)

    assert invoice["billed_to"].erasure == Erasure.RETAIN
    assert invoice["tax_id"].retention == Retention.PAYMENT_RECORDS
    assert set(profile) == {"user", "name", "address", "country", "tax_id"}
    assert all(item.erasure == Erasure.DELETE for item in profile.values())


def test_the_records_list_every_model_in_a_stable_order():
    records = records_of_processing()

    assert records == records_of_processing()
    assert records.index("## accounts") < records.index("## billing") < records.index("## gateway")
    assert records.index("### accounts.ApiToken") < records.index("### accounts.User")
    assert "Not personal: `allowed_regions`, `id`, `multiplier`, `name`." in records
    assert (
        "| `password` | account | Account management | contract (GDPR Art. 6(1)(b)) | no "
        "| anonymize: unusable-password | account data: while active + 12 months after closure |"
    ) in records
    assert "| payment records: 7 years |" in records


def test_the_command_prints_the_records():
    out = StringIO()

    call_command("inventory", stdout=out)

    assert out.getvalue() == records_of_processing()


def test_the_command_writes_the_records_to_a_file(tmp_path: Path):
    path = tmp_path / "inventory.md"

    call_command("inventory", "--output", str(path), stdout=StringIO(), stderr=StringIO())

    assert path.read_text(encoding="utf-8") == records_of_processing()


def test_the_committed_inventory_document_is_current():
    out = StringIO()
    call_command("inventory", stdout=out)

    assert out.getvalue() == DOC.read_text(encoding="utf-8"), (
        f"{DOC.relative_to(settings.BASE_DIR)} is stale: run `{REGENERATE}`."
    )
