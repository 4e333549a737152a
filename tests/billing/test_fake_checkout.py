"""The fake ZPAY gateway: a whole checkout paid over real HTTP, as a browser would pay it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.test import Client

from accounts.models import User
from billing.models import TopUpOrder, Wallet
from tests.fakes import payments as fake
from tests.gateway.conftest import serve_gateway

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
TWENTY_DOLLARS = 20 * 10**9


@pytest.fixture
def zpay(settings: Any) -> Iterator[fake.FakeZpay]:
    settings.ZPAY_PID = fake.ZPAY_PID
    settings.ZPAY_KEY = fake.ZPAY_KEY
    settings.ZPAY_EXCHANGE_RATE = "7.20"
    with fake.start_fake_zpay() as gateway:
        settings.ZPAY_SUBMIT_URL = gateway.submit_url
        yield gateway


@pytest.fixture
def console(user: User) -> Iterator[httpx.Client]:
    """A signed-in browser of `user` on the console served by uvicorn over loopback."""
    django_client = Client()
    django_client.force_login(user)
    session = django_client.cookies["sessionid"].value
    with serve_gateway() as v1_url:
        base_url = v1_url.removesuffix("/v1")
        with httpx.Client(base_url=base_url, cookies={"sessionid": session}) as browser:
            yield browser


def form_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))


def start_zpay_topup(console: httpx.Client) -> httpx.Response:
    token = form_fields(console.get("/billing/").text)["csrfmiddlewaretoken"]
    return console.post(
        "/billing/topup/",
        data={"csrfmiddlewaretoken": token, "amount": "20", "provider": "zpay:alipay"},
        headers={"X-CSRFToken": token},
    )


def test_a_browser_pays_a_zpay_top_up_on_the_fake_gateway(
    zpay: fake.FakeZpay, console: httpx.Client, user: User
):
    checkout = start_zpay_topup(console)
    assert checkout.status_code == 200
    assert fake.checkout_url(checkout.text).startswith(zpay.submit_url)

    pay_page = httpx.get(fake.checkout_url(checkout.text))
    assert pay_page.status_code == 200
    assert "144.00 CNY" in pay_page.text
    paid = httpx.post(zpay.pay_url, data=form_fields(pay_page.text))

    order = TopUpOrder.objects.get(user=user)
    assert paid.status_code == 303
    assert paid.headers["location"].startswith(
        f"{str(console.base_url).rstrip('/')}/billing/orders/{order.pk}/?"
    )
    assert [(d.status, d.body) for d in zpay.deliveries] == [(200, "success")]
    assert Wallet.objects.get(pk=user.pk).balance == TWENTY_DOLLARS
    status_page = console.get(paid.headers["location"])
    assert "Payment received. The credit is in your balance." in status_page.text


def test_the_fake_gateway_refuses_a_checkout_signed_with_another_key(zpay: fake.FakeZpay):
    params = {"pid": fake.ZPAY_PID, "out_trade_no": "1", "money": "7.20", "type": "alipay"}
    params["sign"] = fake.zpay_sign(params, key="not-the-merchant-key")

    page = httpx.get(zpay.submit_url, params=params)
    payment = httpx.post(zpay.pay_url, data=params)

    assert (page.status_code, payment.status_code) == (400, 400)
    assert zpay.deliveries == []
