"""ZPAY (epay-compatible): WeChat Pay and Alipay in CNY, through a signed redirect.

The browser goes to the gateway's submit page with MD5-signed parameters; the gateway then calls
our notify URL (GET) with signed parameters, and retries until we answer the literal `success`.
The browser's return URL carries the same parameters but is never proof of payment.
https://z-pay.cn/doc.html
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import TopUpOrder
from billing.payments import Action, Notification, Quote, WebhookError, filled_settings

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CURRENCY = "CNY"
METHODS = ("alipay", "wxpay")


class ZpayProvider:
    name: str = TopUpOrder.Provider.ZPAY.value
    label: StrOrPromise = gettext_lazy("WeChat Pay / Alipay (ZPAY)")
    secret_settings: tuple[str, ...] = ("ZPAY_PID", "ZPAY_KEY")
    # ZPAY has no test mode: every order is live.
    livemode = True

    def is_configured(self) -> bool:
        return len(filled_settings(self.secret_settings)) == len(self.secret_settings)

    def quote(self, amount: Decimal) -> Quote:
        rate = Decimal(settings.ZPAY_EXCHANGE_RATE)
        charged = (amount * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if amount <= 0 or charged <= 0:
            raise ValueError(_("Enter an amount greater than zero."))
        return Quote(currency=CURRENCY, charged_amount=charged, exchange_rate=rate)

    def start_checkout(
        self, order: TopUpOrder, *, return_url: str, cancel_url: str, method: str = "alipay"
    ) -> str:
        """The signed URL of ZPAY's payment page for `order`, paid by `method`.

        ZPAY requires a method; Alipay is the default. ZPAY has no cancel page (`cancel_url` is
        not used), no reference before payment (its trade number arrives with the notify), and
        accepts neither URL with a query string. The notify URL is ours on the host of
        `return_url`. Sets the order's mode; the caller saves it.
        """
        if method not in METHODS:
            raise ValueError(f"Unknown ZPAY method {method!r}.")
        parts = urlsplit(return_url)
        params = {
            "pid": settings.ZPAY_PID,
            "type": method,
            # The 32 hex digits of the UUID: epay order numbers allow no punctuation everywhere.
            "out_trade_no": order.pk.hex,
            "notify_url": f"{parts.scheme}://{parts.netloc}{reverse('billing_webhooks:zpay')}",
            "return_url": return_url,
            "name": _("Tokengate balance top-up"),
            "money": f"{order.charged_amount:.2f}",
        }
        params["sign"] = sign(params, key=settings.ZPAY_KEY)
        params["sign_type"] = "MD5"
        order.livemode = self.livemode
        return f"{settings.ZPAY_SUBMIT_URL}?{urlencode(params)}"


def sign(params: Mapping[str, str], *, key: str) -> str:
    """The epay signature: non-empty parameters but sign and sign_type, sorted, then the key."""
    signed = sorted(
        (name, value)
        for name, value in params.items()
        if name not in ("sign", "sign_type") and value != ""
    )
    text = "&".join(f"{name}={value}" for name, value in signed) + key
    # The epay protocol defines its signature as MD5; there is no stronger option to choose.
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324


def read_notification(params: Mapping[str, str]) -> Notification:
    """Verify a notify's signature and content; WebhookError (answered 400) if anything is off."""
    signature = params.get("sign", "")
    if not signature:
        raise WebhookError("missing signature")
    if params.get("sign_type", "MD5").upper() != "MD5":
        raise WebhookError("unsupported sign_type")
    expected = sign(params, key=settings.ZPAY_KEY)
    if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
        raise WebhookError("invalid signature")
    if params.get("pid") != settings.ZPAY_PID:
        raise WebhookError("unknown merchant")
    if params.get("trade_status") != "TRADE_SUCCESS":
        raise WebhookError("trade not successful")
    trade_no = params.get("trade_no", "")
    if not trade_no:
        raise WebhookError("missing trade_no")
    return Notification(
        event_id=trade_no,
        kind="TRADE_SUCCESS",
        action=Action.CREDIT,
        order_id=params.get("out_trade_no", ""),
        amount=parse_money(params.get("money", "")),
        currency=CURRENCY,
        provider_reference=trade_no,
    )


def parse_money(value: str) -> Decimal:
    try:
        money = Decimal(value)
    except InvalidOperation as error:
        raise WebhookError("malformed money") from error
    if not money.is_finite():
        raise WebhookError("malformed money")
    return money
