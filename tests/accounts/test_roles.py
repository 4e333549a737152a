"""What each staff role can see and change in admin, page by page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory

from accounts.models import User

pytestmark = pytest.mark.django_db

S, B, P, OP = "Support", "Billing", "Privacy Officer", "Operator"

# page: (roles that see it, roles that may add or change there)
PAGES = {
    "accounts/user": ({S, B, P}, {P}),
    "accounts/preferences": ({S, P}, set()),
    "accounts/apitoken": ({S, P}, {S}),
    "accounts/supportticket": ({S, P}, {S}),
    "accounts/feedback": ({S, P}, set()),
    "gateway/channel": ({OP}, {OP}),
    "gateway/usagelog": ({S, B, P, OP}, set()),
    "billing/plan": ({B, OP}, {B}),
    "billing/price": ({B, OP}, {B}),
    "billing/priceproposal": ({B, OP}, {B, OP}),
    "billing/wallet": ({B}, {B}),
    "billing/ledgerentry": ({B}, set()),
    "billing/hold": ({B}, set()),
    "billing/topuporder": ({B}, set()),
    "billing/redemptioncode": ({B}, {B}),
    "billing/invoice": ({B, P}, set()),
    "billing/billingprofile": ({B, P}, set()),
    "privacy/consentnotice": ({P}, {P}),
    "privacy/consentrecord": ({S, P}, set()),
    "privacy/datasubjectrequest": ({P}, {P}),
    "privacy/erasureplan": ({P}, {P}),
    "privacy/legalhold": ({P}, {P}),
    "privacy/retentionpolicy": ({P}, {P}),
    "privacy/retentionrun": ({P}, set()),
    "privacy/accessevent": ({P}, set()),
    "privacy/processortask": ({P}, {P}),
    "privacy/breachincident": ({P}, {P}),
    "privacy/breachnotification": ({P}, set()),
    "privacy/policydocument": ({P}, {P}),
    "privacy/policynotice": ({P}, set()),
    "privacy/policyacknowledgement": ({P}, set()),
    "privacy/minorcase": ({S, P}, {P}),
    "privacy/pageview": ({P, OP}, set()),
    "auth/group": (set(), set()),
}
CASES = [(role, page) for page in PAGES for role in (S, B, P, OP)]


def member_of(role: str, make_user: Callable) -> User:
    member = make_user(staff=True)
    member.groups.add(Group.objects.get(name=role))
    return member


def model_admin(page: str) -> admin.ModelAdmin:
    app_label, model_name = page.split("/")
    return next(
        model_admin
        for model, model_admin in admin.site._registry.items()
        if (model._meta.app_label, model._meta.model_name) == (app_label, model_name)
    )


@pytest.mark.parametrize(("role", "page"), CASES)
def test_each_role_sees_only_its_pages(make_user: Callable, role: str, page: str):
    client = Client()
    client.force_login(member_of(role, make_user))

    status = client.get(f"/admin/{page}/").status_code

    assert status == (200 if role in PAGES[page][0] else 403)


@pytest.mark.parametrize(("role", "page"), CASES)
def test_each_role_changes_only_its_records(make_user: Callable, role: str, page: str):
    request = RequestFactory().get(f"/admin/{page}/")
    request.user = member_of(role, make_user)
    page_admin = model_admin(page)

    may_change = page_admin.has_add_permission(request) or page_admin.has_change_permission(request)

    assert may_change == (role in PAGES[page][1])


def test_every_admin_page_is_in_the_role_table():
    ours = {
        f"{model._meta.app_label}/{model._meta.model_name}"
        for model in admin.site._registry
        if model._meta.app_label in {"accounts", "billing", "gateway", "privacy", "auth"}
    }

    assert ours == set(PAGES)
