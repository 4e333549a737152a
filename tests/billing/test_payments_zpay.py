"""ZPAY: a signed redirect to the payment page, and a signed notify that credits exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from billing.models import Invoice, LedgerEntry, TopUpOrder, Wallet, WebhookEvent
from billing.money import to_nanos
from billing.payments import get_provider
from tests.fakes import payments as fake

pytestmark = pytest.mark.django_db

URL = "/billing/webhooks/zpay/"


@pytest.fixture(autouse=True)
def _zpay(settings: Any) -> None:
    settings.ZPAY_PID = fake.ZPAY_PID
    settings.ZPAY_KEY = fake.ZPAY_KEY
    settings.ZPAY_SUBMIT_URL = "https://zpayz.cn/submit.php"
    settings.ZPAY_EXCHANGE_RATE = "7.20"


def make_order(user: User, **fields: Any) -> TopUpOrder:
    values: dict[str, Any] = {
        "provider": TopUpOrder.Provider.ZPAY,
        "credit_amount": to_nanos("20"),
        "currency": "CNY",
        "charged_amount": Decimal("144.00"),
        "exchange_rate": Decimal("7.20"),
        "livemode": True,
    }
    return TopUpOrder.objects.create(user=user, **{**values, **fields})


def notify(client: Client, params: dict[str, str]) -> Any:
    return client.get(URL, params)


def flip_last_digit(signature: str) -> str:
    return signature[:-1] + ("1" if signature.endswith("0") else "0")


def test_a_paid_notify_credits_the_wallet_and_answers_success(client: Client, user: User):
    order = make_order(user)

    response = notify(client, fake.zpay_notify(order))

    assert (response.status_code, response.content) == (200, b"success")
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.PAID
    assert order.provider_reference == "2025021915463312345678901"
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.TOPUP)
    assert (entry.order, entry.amount) == (order, order.credit_amount)
    assert Wallet.objects.get(pk=user.pk).balance == order.credit_amount
    assert Invoice.objects.filter(order=order).exists()
    assert WebhookEvent.objects.get().event_id == "2025021915463312345678901"


def test_a_notify_posted_as_a_form_is_accepted_too(client: Client, user: User):
    order = make_order(user)

    response = client.post(URL, fake.zpay_notify(order))

    assert (response.status_code, response.content) == (200, b"success")
    assert fake.count_topups() == 1


def test_the_same_notify_replayed_20_times_credits_once_and_always_answers_success(
    client: Client, user: User
):
    order = make_order(user)
    params = fake.zpay_notify(order)

    answers = {notify(client, params).content for _ in range(20)}

    assert answers == {b"success"}
    assert fake.count_topups() == 1
    assert Wallet.objects.get(pk=user.pk).balance == order.credit_amount


def test_a_second_trade_for_a_paid_order_is_flagged_for_staff_and_not_credited(
    client: Client, user: User, caplog: pytest.LogCaptureFixture
):
    order = make_order(user)
    notify(client, fake.zpay_notify(order))

    response = notify(client, fake.zpay_notify(order, trade_no="2025021915500000000000002"))

    assert response.content == b"success"
    assert fake.count_topups() == 1
    assert "Payment 2025021915500000000000002 received" in caplog.text


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (
            lambda params: {**params, "sign": fake.zpay_sign(params, key="another-key")},
            b"invalid signature",
        ),
        (
            lambda params: {name: v for name, v in params.items() if name != "sign"},
            b"missing signature",
        ),
        (lambda params: {**params, "sign": flip_last_digit(params["sign"])}, b"invalid signature"),
        (lambda params: {**params, "money": "1.44"}, b"invalid signature"),
        (lambda params: {**params, "sign_type": "RSA"}, b"unsupported sign_type"),
    ],
    ids=["bad", "missing", "altered-signature", "altered-money", "other-sign-type"],
)
def test_a_bad_missing_or_altered_signature_is_refused(
    client: Client, user: User, tamper: Callable[[dict[str, str]], dict[str, str]], reason: bytes
):
    order = make_order(user)

    response = notify(client, tamper(fake.zpay_notify(order)))

    assert (response.status_code, response.content) == (400, reason)
    fake.assert_not_credited(order)


def test_one_altered_byte_breaks_the_signature(client: Client, user: User):
    order = make_order(user)
    query = urlencode(fake.zpay_notify(order)).encode()
    altered = bytearray(query)
    altered[query.index(b"money=") + len("money=")] = ord("9")

    response = client.get(f"{URL}?{altered.decode()}")

    assert response.status_code == 400
    fake.assert_not_credited(order)


@pytest.mark.parametrize("secret", ["ZPAY_KEY", "ZPAY_PID"])
def test_any_empty_secret_turns_the_endpoint_off(client: Client, user: User, settings, secret: str):
    setattr(settings, secret, "")
    order = make_order(user)

    response = notify(client, fake.zpay_notify(order, key=""))

    assert response.status_code == 404
    fake.assert_not_credited(order)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"pid": "1002"}, b"unknown merchant"),
        ({"money": "143.99"}, b"amount does not match the order"),
        ({"trade_status": "WAIT_BUYER_PAY"}, b"trade not successful"),
        ({"trade_status": ""}, b"trade not successful"),
        ({"trade_no": ""}, b"missing trade_no"),
        ({"money": "lots"}, b"malformed money"),
        ({"out_trade_no": "not-an-order"}, b"unknown order"),
    ],
)
def test_a_signed_notify_that_does_not_match_the_order_is_refused(
    client: Client, user: User, fields: dict[str, str], reason: bytes
):
    order = make_order(user)

    response = notify(client, fake.zpay_notify(order, **fields))

    assert (response.status_code, response.content) == (400, reason)
    fake.assert_not_credited(order)


def test_an_order_in_another_currency_is_not_credited(client: Client, user: User):
    order = make_order(user, currency="USD")

    response = notify(client, fake.zpay_notify(order))

    assert (response.status_code, response.content) == (400, b"currency does not match the order")
    fake.assert_not_credited(order)


def test_an_order_made_for_another_provider_is_not_credited(client: Client, user: User):
    order = make_order(user, provider=TopUpOrder.Provider.STRIPE)

    response = notify(client, fake.zpay_notify(order))

    assert (response.status_code, response.content) == (400, b"order belongs to another provider")
    fake.assert_not_credited(order)


def test_an_oversized_notify_is_refused_before_it_is_read(client: Client, user: User, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 512
    order = make_order(user)

    response = notify(client, fake.zpay_notify(order, param="x" * 512))

    assert response.status_code == 413
    fake.assert_not_credited(order)


def test_only_get_and_post_are_accepted(client: Client):
    assert client.put(URL).status_code == 405


def test_checkout_sends_the_browser_to_a_signed_payment_page(user: User):
    order = make_order(user)
    return_url = f"https://tokengate.example/billing/orders/{order.pk}/"

    url = get_provider("zpay").start_checkout(order, return_url=return_url, cancel_url=return_url)

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://zpayz.cn/submit.php"
    params = dict(parse_qsl(parts.query))
    assert params == {
        "pid": fake.ZPAY_PID,
        "type": "alipay",
        "out_trade_no": order.pk.hex,
        "notify_url": "https://tokengate.example/billing/webhooks/zpay/",
        "return_url": return_url,
        "name": "Tokengate balance top-up",
        "money": "144.00",
        "sign": fake.zpay_sign(params),
        "sign_type": "MD5",
    }
    assert order.livemode is True


def test_the_notify_url_never_carries_a_query_string(user: User):
    order = make_order(user)

    url = get_provider("zpay").start_checkout(
        order, return_url="http://localhost:8000/billing/orders/1/?from=topup#top", cancel_url=""
    )

    notify_url = dict(parse_qsl(urlsplit(url).query))["notify_url"]
    assert notify_url == "http://localhost:8000/billing/webhooks/zpay/"


def test_checkout_can_ask_for_wechat_pay(user: User):
    order = make_order(user)
    zpay: Any = get_provider("zpay")

    url = zpay.start_checkout(order, return_url="https://t.example/", cancel_url="", method="wxpay")

    assert dict(parse_qsl(urlsplit(url).query))["type"] == "wxpay"
    with pytest.raises(ValueError, match="Unknown ZPAY method"):
        zpay.start_checkout(order, return_url="https://t.example/", cancel_url="", method="qqpay")


@pytest.mark.parametrize(
    ("amount", "charged"),
    [("20", "144.00"), ("0.01", "0.07"), ("0.00625", "0.05"), ("10.50", "75.60")],
)
def test_quotes_convert_to_cny_rounding_half_up(amount: str, charged: str):
    quote = get_provider("zpay").quote(Decimal(amount))

    assert (quote.currency, quote.charged_amount) == ("CNY", Decimal(charged))
    assert quote.exchange_rate == Decimal("7.20")


def test_an_amount_worth_less_than_a_fen_cannot_be_quoted():
    with pytest.raises(ValueError, match="greater than zero"):
        get_provider("zpay").quote(Decimal("0.0001"))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_notifies_credit_once(make_user: Callable[..., User]):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks and concurrent transactions need PostgreSQL.")
    order = make_order(make_user())
    params = fake.zpay_notify(order)
    answers: list[bytes] = []
    start = threading.Barrier(20)

    def deliver() -> None:
        try:
            start.wait()
            answers.append(notify(Client(), params).content)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [b"success"] * 20
    assert fake.count_topups() == 1
    assert WebhookEvent.objects.count() == 1
