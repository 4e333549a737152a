from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import Preferences, User
from tests.conftest import PASSWORD

LANGUAGES = [code for code, _name in settings.LANGUAGES]
# English text that must not survive on a translated page.
ENGLISH_ON_SIGNUP = ["Sign Up", "Already have an account?", "I confirm that I am 18", "Password"]
ENGLISH_ON_LOGIN = ["Sign In", "Forgot your password?", "Remember Me"]
CONFIRMATION_LINK = re.compile(r"https?://testserver(/accounts/confirm-email/[^/\s]+/)")


def sign_up(client: Client, *, email: str, adult: bool = True, language: str = "en"):
    data = {"email": email, "username": email.split("@")[0], "password1": PASSWORD}
    data["password2"] = PASSWORD
    if adult:
        data["adult"] = "on"
    return client.post("/accounts/signup/", data, headers={"accept-language": language})


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_signup_verification_and_login_work_in_every_language(client: Client, language: str):
    headers = {"accept-language": language}
    signup_page = client.get("/accounts/signup/", headers=headers).content.decode()
    login_page = client.get("/accounts/login/", headers=headers).content.decode()
    if language != "en":
        for english in ENGLISH_ON_SIGNUP:
            assert english not in signup_page
        for english in ENGLISH_ON_LOGIN:
            assert english not in login_page
    with translation.override(language):
        assert gettext("I confirm that I am 18 years of age or older.") in signup_page

    response = sign_up(client, email="mai@example.com", language=language)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="mai@example.com")
    assert Preferences.objects.get(user=user).language == language

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["mai@example.com"]
    if language != "en":
        assert "Please Confirm Your Email Address" not in message.subject
        assert "You're receiving this email" not in message.body
    link = CONFIRMATION_LINK.search(str(message.body))
    assert link, message.body
    confirmation_path = link.group(1)

    # Unverified: the password alone does not sign in.
    fresh = Client()
    login = fresh.post("/accounts/login/", {"login": "mai@example.com", "password": PASSWORD})
    assert login["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in fresh.session

    assert client.post(confirmation_path, headers=headers).status_code == 302
    client.post("/accounts/logout/", headers=headers)
    login = client.post(
        "/accounts/login/", {"login": "mai@example.com", "password": PASSWORD}, headers=headers
    )
    assert login.status_code == 302
    assert login["Location"] == "/"
    home = client.get("/").content.decode()
    with translation.override(language):
        assert gettext("Welcome, %(name)s") % {"name": "mai"} in home
    if language != "en":
        assert "Welcome," not in home


@pytest.mark.django_db
def test_signup_requires_confirming_the_user_is_an_adult(client: Client):
    response = sign_up(client, email="kid@example.com", adult=False)

    assert response.status_code == 200
    assert "You must be 18 or older to use Tokengate." in response.content.decode()
    assert not User.objects.filter(email="kid@example.com").exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_signup_records_when_the_age_was_confirmed(client: Client):
    sign_up(client, email="adult@example.com")

    user = User.objects.get(email="adult@example.com")
    assert user.adult_confirmed_at is not None


@pytest.mark.django_db
def test_passwords_are_hashed_with_bcrypt_at_cost_12_or_more(client: Client):
    sign_up(client, email="hash@example.com")

    stored = User.objects.get(email="hash@example.com").password
    match = re.fullmatch(r"bcrypt_sha256\$\$2b\$(\d\d)\$.{53}", stored)
    assert match, stored
    assert int(match.group(1)) >= 12
    assert PASSWORD not in stored


@pytest.mark.django_db
def test_an_email_can_only_register_once_whatever_its_case(client: Client):
    sign_up(client, email="once@example.com")

    Client().post(
        "/accounts/signup/",
        {
            "email": "ONCE@example.com",
            "username": "other",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "adult": "on",
        },
    )
    assert User.objects.filter(email__iexact="once@example.com").count() == 1
