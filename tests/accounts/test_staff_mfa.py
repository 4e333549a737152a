"""Staff sign in through allauth with a TOTP code, and need MFA to enter admin."""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client, override_settings

from accounts.models import User
from tests.conftest import PASSWORD
from tests.fakes.totp import set_up_totp, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user: Callable) -> User:
    return make_user("staff@example.com", password=PASSWORD, superuser=True)


def with_totp(user: User) -> str:
    secret = base64.b32encode(secrets.token_bytes(20)).decode()
    TOTP.activate(user, secret)
    return secret


def test_the_admin_login_page_sends_staff_to_the_one_sign_in(client: Client):
    response = client.get("/admin/login/?next=/admin/privacy/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fprivacy%2F"


def test_a_signed_in_customer_is_refused_admin_without_a_redirect_loop(
    client: Client, make_user: Callable
):
    client.force_login(make_user("customer@example.com"))

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403
    assert len(response.redirect_chain) == 1


@override_settings(ADMIN_REQUIRE_MFA=True)
def test_staff_without_an_authenticator_are_sent_to_set_one_up(client: Client, staff: User):
    client.force_login(staff)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate/")


@override_settings(ADMIN_REQUIRE_MFA=True)
def test_new_staff_set_up_totp_confirm_it_and_enter_admin(client: Client, staff: User):
    client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    assert client.get("/admin/")["Location"].startswith("/accounts/2fa/totp/activate/")

    secret = set_up_totp(client, password=PASSWORD)
    assert client.get("/admin/")["Location"].startswith("/accounts/2fa/reauthenticate/")
    # In the next 30-second step: allauth refuses the same code twice.
    with time_machine.travel(time.time() + 30, tick=False):
        client.post("/accounts/2fa/reauthenticate/", {"code": totp_code(secret)})

        assert client.get("/admin/").status_code == 200


@override_settings(ADMIN_REQUIRE_MFA=True)
def test_staff_sign_in_with_password_and_totp_then_enter_admin(client: Client, staff: User):
    secret = with_totp(staff)

    first = client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    assert first.status_code == 302
    assert first["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get("/admin/").status_code == 302

    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    second = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert second.status_code == 302

    assert client.get("/admin/").status_code == 200


@override_settings(ADMIN_REQUIRE_MFA=True)
def test_a_session_without_the_second_factor_must_confirm_it(client: Client, staff: User):
    with_totp(staff)
    client.force_login(staff)

    response = client.get("/admin/privacy/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/reauthenticate/?next=%2Fadmin%2Fprivacy%2F"


@override_settings(ADMIN_REQUIRE_MFA=False)
def test_without_the_requirement_staff_enter_admin_as_before(client: Client, staff: User):
    client.force_login(staff)

    assert client.get("/admin/").status_code == 200
