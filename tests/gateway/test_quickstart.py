from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import Preferences, User
from billing.models import Price
from gateway.models import Channel

pytestmark = pytest.mark.django_db


def test_the_quickstart_shows_the_base_url_and_the_default_model(
    client: Client, make_user: Callable[..., User]
):
    me = make_user()
    preferences = Preferences.objects.for_user(me)
    preferences.default_model = "deepseek-chat"
    preferences.save()
    client.force_login(me)

    page = client.get("/quickstart/").content.decode()

    assert "<code>http://testserver/v1</code>" in page
    assert "base_url=&quot;http://testserver/v1&quot;" in page
    assert "baseURL: &quot;http://testserver/v1&quot;" in page
    assert "curl http://testserver/v1/chat/completions" in page
    assert page.count("model=&quot;deepseek-chat&quot;") == 2
    assert "stream=True" in page
    assert page.count("YOUR_API_KEY") >= 4


def test_without_a_default_the_first_catalog_model_is_used(
    client: Client, make_user: Callable[..., User]
):
    Channel.objects.create(name="main", provider="deepseek", served_models=["b-model", "a-model"])
    for model in ("a-model", "b-model"):
        Price.objects.create(model=model, input_per_million=1, output_per_million=1)
    client.force_login(make_user())

    page = client.get("/quickstart/").content.decode()

    assert "<code>a-model</code>" in page
    assert "model: &quot;a-model&quot;" in page


def test_copy_buttons_are_added_by_a_static_script(client: Client, make_user: Callable[..., User]):
    client.force_login(make_user())

    page = client.get("/quickstart/").content.decode()

    assert 'src="/static/js/copy.js"' in page
    assert 'data-copy="snippet-python"' in page
    assert "No models are available to your account yet." in page
