"""The console playground: a signed-in chat over a live server, billed like /v1."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest
from django.conf import settings
from django.test import Client

from accounts.models import ApiToken, Preferences, User
from billing.models import Wallet
from gateway.models import UsageLog
from tests.fakes.upstream import FakeUpstream, Reply
from tests.gateway.conftest import MODEL, set_balance

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello?"}]


@pytest.fixture
def console(live_gateway: str, customer: User) -> Iterator[httpx.Client]:
    """The customer's signed-in browser session against the live server."""
    signed_in = Client()
    signed_in.force_login(customer)
    cookies = {settings.SESSION_COOKIE_NAME: signed_in.cookies[settings.SESSION_COOKIE_NAME].value}
    with httpx.Client(base_url=live_gateway.removesuffix("/v1"), cookies=cookies) as browser:
        yield browser


def csrf_token(console: httpx.Client) -> str:
    page = console.get("/playground/")
    assert page.status_code == 200
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def chat_request(console: httpx.Client, **body: Any) -> httpx.Request:
    payload = {"model": MODEL, "messages": MESSAGES, **body}
    headers = {"X-CSRFToken": csrf_token(console), "Content-Type": "application/json"}
    return console.build_request(
        "POST", "/playground/chat/", content=orjson.dumps(payload), headers=headers
    )


def chat(console: httpx.Client, **body: Any) -> httpx.Response:
    return console.send(chat_request(console, **body))


def events(text: str) -> list[Any]:
    data = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
    return [item if item == "[DONE]" else orjson.loads(item) for item in data]


def balance_of(user: User) -> int:
    return Wallet.objects.get(pk=user.pk).balance


def test_an_answer_streams_into_the_playground_chunk_by_chunk(
    console: httpx.Client, make_channel: Callable, upstream: FakeUpstream
):
    make_channel()
    upstream.script(Reply(content="One two three four.", chunks=4, gap=0.05))

    response = console.send(chat_request(console, temperature=0.5, max_tokens=50), stream=True)
    # Each event is passed on as the upstream sends it, not buffered into one body.
    reads = list(response.iter_bytes())
    response.close()

    assert len(reads) >= 4
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    received = events(b"".join(reads).decode())
    assert received[-1] == "[DONE]"
    deltas = [chunk["choices"][0]["delta"].get("content") or "" for chunk in received[:-1]]
    assert len([delta for delta in deltas if delta]) == 4
    assert "".join(deltas) == "One two three four."
    sent = upstream.requests[0].body
    assert (sent["messages"], sent["temperature"], sent["max_tokens"]) == (MESSAGES, 0.5, 50)


def test_a_playground_message_is_billed_and_logged_exactly_like_the_same_v1_call(
    console: httpx.Client,
    live_gateway: str,
    api_key: str,
    customer: User,
    make_channel: Callable,
):
    make_channel()
    before = balance_of(customer)
    chat(console, max_tokens=50)
    after_playground = balance_of(customer)
    body = {"model": MODEL, "messages": MESSAGES, "max_tokens": 50, "stream": True}
    httpx.post(
        f"{live_gateway}/chat/completions",
        content=orjson.dumps(body),
        headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
    )

    played, called = UsageLog.objects.order_by("created_at", "id")
    assert before - after_playground == after_playground - balance_of(customer) == played.cost > 0
    fields = ("endpoint", "model", "stream", "status_code", "input_tokens", "output_tokens", "cost")
    assert [getattr(played, name) for name in fields] == [getattr(called, name) for name in fields]
    assert played.api_token is not None and played.api_token.name == "Playground"
    assert Wallet.objects.get(pk=customer.pk).held == 0


def test_the_playground_keeps_content_only_for_users_who_opted_in(
    console: httpx.Client, customer: User, make_channel: Callable
):
    make_channel()
    Preferences.objects.update_or_create(user=customer, defaults={"content_logging": True})

    chat(console)

    content = customer.content_logs.get()
    assert "Hello?" in content.prompt
    assert content.response == Reply().content


def test_an_empty_balance_is_refused_with_402_and_a_clear_message(
    console: httpx.Client, customer: User, make_channel: Callable, upstream: FakeUpstream
):
    make_channel()
    set_balance(customer, 0)

    response = chat(console)

    assert response.status_code == 402
    assert response.json()["error"]["message"] == (
        "Your balance is too low for this request. Top up to continue."
    )
    assert upstream.requests == []
    assert not UsageLog.objects.exists()


def test_a_model_the_user_may_not_use_is_refused(
    console: httpx.Client, make_channel: Callable, upstream: FakeUpstream
):
    make_channel()

    response = chat(console, model="not-a-model")

    assert response.status_code == 404
    assert response.json()["error"]["message"] == (
        "This model does not exist or your account may not use it."
    )
    assert upstream.requests == []


def test_a_restricted_account_cannot_chat(
    console: httpx.Client, customer: User, make_channel: Callable
):
    make_channel()
    User.objects.filter(pk=customer.pk).update(processing_restricted=True)

    response = chat(console)

    assert response.status_code == 403
    assert "restricted" in response.json()["error"]["message"]


def test_the_playground_needs_the_csrf_token(customer: User):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(customer)

    response = browser.post("/playground/chat/", {}, content_type="application/json")

    assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(db: None):
    for response in (Client().get("/playground/"), Client().post("/playground/chat/")):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_page_offers_the_usable_models_with_the_default_one_selected(
    client: Client, customer: User, make_channel: Callable
):
    make_channel(name="other", served_models=[MODEL, "unpriced-model"])
    Preferences.objects.update_or_create(user=customer, defaults={"default_model": MODEL})
    client.force_login(customer)

    response = client.get("/playground/")

    assert f'<option value="{MODEL}" selected>' in response.text
    assert "unpriced-model" not in response.text


def test_the_playground_identity_is_no_api_key(
    client: Client, customer: User, make_channel: Callable
):
    make_channel()
    client.force_login(customer)
    client.get("/playground/")
    token = ApiToken.objects.get(user=customer)

    response = client.get("/keys/")

    assert token.name == "Playground"
    assert token.masked_key not in response.text
    assert client.post(f"/keys/{token.pk}/toggle/").status_code == 404


def test_leaving_in_the_middle_of_an_answer_bills_what_arrived_once(
    console: httpx.Client, customer: User, make_channel: Callable, upstream: FakeUpstream
):
    make_channel()
    upstream.script(Reply(content="a b c d e f", chunks=6, gap=0.2, usage=None))
    before = balance_of(customer)

    response = console.send(chat_request(console), stream=True)
    next(response.iter_bytes())
    response.close()

    deadline = time.monotonic() + 10
    while not UsageLog.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = UsageLog.objects.get()
    assert log.error_class == "client_disconnected"
    assert log.usage_counted_locally
    assert before - balance_of(customer) == log.cost > 0
    assert Wallet.objects.get(pk=customer.pk).held == 0


def test_refusals_are_explained_in_the_users_language(
    console: httpx.Client, customer: User, make_channel: Callable
):
    make_channel()
    Preferences.objects.update_or_create(user=customer, defaults={"language": "fr"})
    set_balance(customer, 0)

    response = chat(console)

    assert response.status_code == 402
    assert response.json()["error"]["message"] == (
        "Votre solde est insuffisant pour cette requête. Rechargez votre compte pour continuer."
    )
