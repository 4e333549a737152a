"""Payment providers as the outside world: their payloads, signed with their own algorithms.

The signing here is written from the providers' documentation, independently of
`billing.payments`, so a test passes only if production verifies what the provider sends.
Payloads come from the JSON fixtures in tests/fixtures/payments/, adjusted to one order.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from billing.models import LedgerEntry, TopUpOrder, WebhookEvent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "payments"

STRIPE_SECRET_KEY = "sk_test_51TokengateFakeKey"
STRIPE_WEBHOOK_SECRET = "whsec_tokengate_test_secret"
CREEM_API_KEY = "creem_test_1TokengateFakeKey"
CREEM_WEBHOOK_SECRET = "whsec_creem_tokengate_test"
CREEM_PRODUCT_ID = "prod_d1AY2Sadk9YAvLI0pj97f"
ZPAY_PID = "1001"
ZPAY_KEY = "zpay-tokengate-test-key"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def cents(order: TopUpOrder) -> int:
    return int(order.charged_amount * 100)


# Stripe: header `t=<unix>,v1=<hex HMAC-SHA256 of "{t}.{body}">`.
# https://docs.stripe.com/webhooks#verify-manually


def stripe_signature(
    body: bytes, *, secret: str = STRIPE_WEBHOOK_SECRET, at: int | None = None
) -> str:
    timestamp = int(time.time()) if at is None else at
    signed = f"{timestamp}.".encode() + body
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def stripe_session_event(
    order: TopUpOrder, *, kind: str = "checkout.session.completed", **session: Any
) -> dict[str, Any]:
    """A Checkout Session event for `order`, as Stripe sends it; `session` overrides fields."""
    event = load(f"stripe_{kind.replace('.', '_')}")
    event["livemode"] = order.livemode
    event["data"]["object"].update(
        {
            "client_reference_id": str(order.pk),
            "metadata": {"order_id": str(order.pk)},
            "amount_subtotal": cents(order),
            "amount_total": cents(order),
            "currency": order.currency.lower(),
            "livemode": order.livemode,
            **session,
        }
    )
    return event


def stripe_refund_event(order: TopUpOrder, **charge: Any) -> dict[str, Any]:
    """A charge.refunded event for the payment of `order`; `charge` overrides fields."""
    event = load("stripe_charge_refunded")
    event["livemode"] = order.livemode
    event["data"]["object"].update(
        {
            "amount": cents(order),
            "amount_captured": cents(order),
            "amount_refunded": cents(order),
            "currency": order.currency.lower(),
            "metadata": {"order_id": str(order.pk)},
            "livemode": order.livemode,
            **charge,
        }
    )
    return event


# Creem: header `creem-signature`, the hex HMAC-SHA256 of the raw body.
# https://docs.creem.io/code/webhooks


def creem_signature(body: bytes, *, secret: str = CREEM_WEBHOOK_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def creem_mode(order: TopUpOrder) -> str:
    return "prod" if order.livemode else "test"


def creem_checkout_event(order: TopUpOrder, **order_fields: Any) -> dict[str, Any]:
    """A checkout.completed event for `order`; `order_fields` override Creem's order."""
    event = load("creem_checkout_completed")
    checkout = event["object"]
    checkout.update(
        request_id=str(order.pk),
        metadata={"order_id": str(order.pk)},
        units=int(order.charged_amount),
        mode=creem_mode(order),
    )
    checkout["order"].update(
        {
            "amount": cents(order),
            "currency": order.currency,
            "mode": creem_mode(order),
            **order_fields,
        }
    )
    return event


def creem_refund_event(order: TopUpOrder, **refund: Any) -> dict[str, Any]:
    """A refund.created event for the whole payment of `order`; `refund` overrides fields."""
    event = load("creem_refund_created")
    obj = event["object"]
    obj["checkout"].update(request_id=str(order.pk), metadata={"order_id": str(order.pk)})
    obj["transaction"].update(
        amount=cents(order), amount_paid=cents(order), refunded_amount=cents(order)
    )
    obj.update(
        {
            "refund_amount": cents(order),
            "refund_currency": order.currency,
            "mode": creem_mode(order),
            **refund,
        }
    )
    return event


# ZPAY (epay): MD5 of the sorted non-empty parameters (but sign and sign_type) and the key.
# https://z-pay.cn/doc.html


def zpay_sign(params: dict[str, str], *, key: str = ZPAY_KEY) -> str:
    pairs = sorted(
        (name, value)
        for name, value in params.items()
        if value and name not in {"sign", "sign_type"}
    )
    text = "&".join(f"{name}={value}" for name, value in pairs)
    return hashlib.md5((text + key).encode()).hexdigest()  # noqa: S324 (the protocol's hash)


def zpay_notify(order: TopUpOrder, *, key: str = ZPAY_KEY, **fields: str) -> dict[str, str]:
    """The signed notify parameters ZPAY sends when `order` is paid; `fields` override."""
    params = load("zpay_notify")
    params.update({"out_trade_no": order.pk.hex, "money": f"{order.charged_amount:.2f}", **fields})
    params["sign"] = zpay_sign(params, key=key)
    return params


def checkout_url(page: str) -> str:
    """Where the top-up page sends the browser on to the provider (see billing.views)."""
    match = re.search(r'<a href="([^"]+)" role="button" id="checkout-link">', page)
    assert match, "not the checkout page"
    return html.unescape(match.group(1))


def count_topups() -> int:
    return LedgerEntry.objects.filter(kind=LedgerEntry.Kind.TOPUP).count()


def assert_not_credited(order: TopUpOrder) -> None:
    """The order is still pending and no money or event was recorded for it."""
    order.refresh_from_db()
    assert order.status == TopUpOrder.Status.PENDING
    assert count_topups() == 0
    assert not WebhookEvent.objects.exists()


# ZPAY's payment pages on loopback, so that a browser can pay a real checkout in tests.

FAKE_ZPAY_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Fake ZPAY</title></head>
<body>
<h1>Fake ZPAY</h1>
<p>{name}: {money} CNY by {type}.</p>
<form method="post" action="/pay">{fields}<button type="submit">Pay</button></form>
</body>
</html>
"""


@dataclass(frozen=True)
class ZpayDelivery:
    """One notify the fake sent: its parameters and how the merchant answered."""

    params: dict[str, str]
    status: int
    body: str


class FakeZpay:
    """A fake ZPAY gateway on loopback; start it with `start_fake_zpay`, stop it with `stop()`.

    `submit_url` replaces ZPAY's submit page. A GET there with correctly signed parameters
    shows a page with a "Pay" button; the button POSTs to the fake, which calls the order's
    `notify_url` as ZPAY does (a GET with signed parameters and `trade_status=TRADE_SUCCESS`),
    records the answer in `deliveries`, and redirects the browser to the order's `return_url`
    with the same parameters. A submission with a wrong signature or merchant gets a 400.
    """

    def __init__(self, *, pid: str, key: str) -> None:
        self.pid = pid
        self.key = key
        self.deliveries: list[ZpayDelivery] = []
        self._trade_numbers = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def submit_url(self) -> str:
        return f"{self.base_url}/submit.php"

    @property
    def pay_url(self) -> str:
        """Where the "Pay" button posts."""
        return f"{self.base_url}/pay"

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeZpay:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> FakeZpay:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def is_genuine(self, params: dict[str, str]) -> bool:
        signature = params.get("sign", "")
        expected = zpay_sign(params, key=self.key)
        return params.get("pid") == self.pid and hmac.compare_digest(signature, expected)

    def pay(self, params: dict[str, str]) -> dict[str, str]:
        """Notify the merchant that the submitted order `params` was paid; the notify sent."""
        notify = {
            "pid": self.pid,
            "trade_no": f"2026{next(self._trade_numbers):021d}",
            "out_trade_no": params["out_trade_no"],
            "type": params["type"],
            "name": params["name"],
            "money": params["money"],
            "trade_status": "TRADE_SUCCESS",
            "param": params.get("param", ""),
            "sign_type": "MD5",
        }
        notify["sign"] = zpay_sign(notify, key=self.key)
        response = httpx.get(params["notify_url"], params=notify, timeout=30)
        self.deliveries.append(ZpayDelivery(notify, response.status_code, response.text))
        return notify

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                params = dict(parse_qsl(url.query, keep_blank_values=True))
                if url.path != "/submit.php" or not fake.is_genuine(params):
                    self.answer(400, "Bad request: wrong page, merchant or signature.")
                    return
                fields = "".join(
                    f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
                    for name, value in params.items()
                )
                escaped = {name: html.escape(value) for name, value in params.items()}
                self.answer(200, FAKE_ZPAY_PAGE.format(fields=fields, **escaped), "text/html")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                params = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                if self.path != "/pay" or not fake.is_genuine(params):
                    self.answer(400, "Bad request: wrong page, merchant or signature.")
                    return
                notify = fake.pay(params)
                self.send_response(303)
                self.send_header("Location", f"{params['return_url']}?{urlencode(notify)}")
                self.end_headers()

            def answer(self, status: int, text: str, content_type: str = "text/plain") -> None:
                body = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", f"{content_type}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                # Quiet, like the other fakes: a test reads `deliveries`, not a log.
                return

        return Handler


def start_fake_zpay(*, pid: str = ZPAY_PID, key: str = ZPAY_KEY) -> FakeZpay:
    """Start a fake ZPAY gateway on loopback for merchant `pid` signing with `key`.

    Set `settings.ZPAY_SUBMIT_URL` to its `submit_url` (and ZPAY_PID, ZPAY_KEY to the same
    values): a browser sent there by a top-up can then press "Pay", which credits the order
    through our real `/billing/webhooks/zpay/` on the host the order's notify URL names (a
    live server). Use it as a context manager, or call `stop()` when done:

        with start_fake_zpay() as zpay:
            settings.ZPAY_SUBMIT_URL = zpay.submit_url
            ...
    """
    return FakeZpay(pid=pid, key=key).start()
