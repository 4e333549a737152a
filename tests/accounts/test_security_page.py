"""The security page: a hub for allauth's flows, and two-factor sign-in for customers."""

from __future__ import annotations

import time

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.test import Client

from accounts.models import User
from tests.conftest import PASSWORD
from tests.fakes.totp import set_up_totp, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(make_user) -> User:
    return make_user("customer@example.com", password=PASSWORD)


def sign_in(client: Client, user: User) -> None:
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_the_security_page_needs_a_signed_in_person(client: Client):
    response = client.get("/settings/security/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_security_page_links_to_every_flow(client: Client, customer: User):
    sign_in(client, customer)

    page = client.get("/settings/security/").content.decode()

    for url in (
        "/accounts/password/change/",
        "/accounts/email/",
        "/accounts/2fa/totp/activate/",
        "/accounts/sessions/",
    ):
        assert f'href="{url}"' in page
    assert customer.email in page
    assert "You are signed in on 1 browser or device." in page
    # No Google or GitHub app is configured in tests, so no connect button is offered.
    assert "Connect" not in page


def test_a_customer_sets_up_totp_and_is_asked_for_it_at_login(client: Client, customer: User):
    sign_in(client, customer)

    secret = set_up_totp(client, password=PASSWORD)

    assert Authenticator.objects.filter(user=customer, type="totp").exists()
    page = client.get("/settings/security/").content.decode()
    assert 'href="/accounts/2fa/recovery-codes/"' in page
    client.post("/accounts/logout/")

    response = client.post("/accounts/login/", {"login": customer.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/settings/security/").status_code == 302
    # In the next 30-second step: allauth refuses the same code twice.
    with time_machine.travel(time.time() + 30, tick=False):
        client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})

        assert client.get("/settings/security/").status_code == 200
