"""Staff roles and what staff can do with users and keys in admin."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from accounts.models import ApiToken, User

pytestmark = pytest.mark.django_db

ROLES = {
    "Support": {
        "accounts.view_user",
        "accounts.view_preferences",
        "accounts.view_apitoken",
        "accounts.change_apitoken",
        "accounts.view_supportticket",
        "accounts.change_supportticket",
        "accounts.view_feedback",
    },
    "Billing": {"accounts.view_user"},
    "Privacy Officer": {
        "accounts.view_user",
        "accounts.change_user",
        "accounts.view_preferences",
        "accounts.view_apitoken",
        "accounts.view_supportticket",
        "accounts.view_feedback",
    },
    "Operator": set(),
}


def staff_in(role: str, make_user: Callable) -> User:
    member = make_user(staff=True)
    member.groups.add(Group.objects.get(name=role))
    return member


def test_the_four_roles_exist_with_least_privilege_account_permissions():
    for role, expected in ROLES.items():
        permissions = Group.objects.get(name=role).permissions.filter(
            content_type__app_label="accounts"
        )
        granted = {f"accounts.{p.codename}" for p in permissions}
        assert granted == expected, role


def test_no_role_may_delete_or_grant_permissions():
    for role in ROLES:
        codenames = set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))
        assert not {c for c in codenames if c.startswith("delete_")}
        assert not codenames & {"change_group", "add_group", "change_permission"}
    every_permission = Permission.objects.count()
    for role in ROLES:
        assert Group.objects.get(name=role).permissions.count() < every_permission / 2


@pytest.mark.parametrize(
    ("role", "page", "status"),
    [
        ("Support", "/admin/accounts/user/", 200),
        ("Support", "/admin/accounts/apitoken/", 200),
        ("Billing", "/admin/accounts/user/", 200),
        ("Billing", "/admin/accounts/apitoken/", 403),
        ("Operator", "/admin/accounts/user/", 403),
        ("Operator", "/admin/accounts/apitoken/", 403),
        ("Privacy Officer", "/admin/accounts/preferences/", 200),
        ("Support", "/admin/auth/group/", 403),
    ],
)
def test_each_role_sees_only_its_admin_pages(
    client: Client, make_user: Callable, role: str, page: str, status: int
):
    client.force_login(staff_in(role, make_user))

    assert client.get(page).status_code == status


def test_support_cannot_change_a_user(client: Client, make_user: Callable):
    customer = make_user()
    client.force_login(staff_in("Support", make_user))

    response = client.post(
        f"/admin/accounts/user/{customer.pk}/change/",
        {"email": "changed@example.com", "username": customer.username},
    )

    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.email != "changed@example.com"


def test_staff_see_keys_without_their_secret_and_can_disable_them(
    client: Client, make_user: Callable, make_key: Callable
):
    customer = make_user()
    key = make_key(customer, name="prod")
    token = ApiToken.objects.get(user=customer)
    client.force_login(staff_in("Support", make_user))

    listing = client.get("/admin/accounts/apitoken/").content.decode()
    detail = client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    for page in (listing, detail):
        assert token.masked_key in page
        assert key not in page
        assert token.key_hash not in page

    client.post(
        "/admin/accounts/apitoken/",
        {"action": "disable_keys", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert not token.enabled


def test_staff_cannot_create_keys_in_admin(client: Client, make_user: Callable):
    superuser = make_user(superuser=True)
    client.force_login(superuser)

    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
