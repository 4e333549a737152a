"""The billing app's fields in the data inventory.

Payment records (wallets, the ledger, top-up orders, holds, invoices, provider events) are kept
for the period tax and financial law requires, also after the account is erased: erasure retains
them, and only the user row they point to loses its identifying values. Plans, prices and
unredeemed codes are configuration.
"""

from __future__ import annotations

from billing.models import (
    BillingProfile,
    Hold,
    Invoice,
    LedgerEntry,
    Plan,
    Price,
    PriceProposal,
    RedemptionCode,
    TopUpOrder,
    Wallet,
    WebhookEvent,
)
from privacy.inventory import (
    NOT_PERSONAL,
    Basis,
    Category,
    Erasure,
    Personal,
    Retention,
    declare,
)

# Kept for the legal retention period whatever happens to the account.
PAYMENT_RECORD = Personal(
    category=Category.BILLING,
    purpose="Payment processing",
    basis=Basis.LEGAL_OBLIGATION,
    retention=Retention.PAYMENT_RECORDS,
    erasure=Erasure.RETAIN,
)

# Which staff member did something to a customer's money is part of the audit trail; it is
# another person's data, so it stays out of the customer's export (GDPR Art. 15(4)).
LEDGER_ACTOR = Personal(
    category=Category.ACCOUNT,
    purpose="Audit and compliance",
    basis=Basis.LEGAL_OBLIGATION,
    retention=Retention.PAYMENT_RECORDS,
    export=False,
    erasure=Erasure.RETAIN,
)

# The staff member who configured a price or a code: the link is cut when that person is erased.
CONFIGURED_BY = Personal(
    category=Category.ACCOUNT,
    purpose="Audit and compliance",
    basis=Basis.LEGITIMATE_INTEREST,
    retention=Retention.ACCOUNT,
    export=False,
    erasure=Erasure.ANONYMIZE,
    strategy="null",
)


def billing_preference(purpose: str, *, strategy: str) -> Personal:
    # Conveniences of the console, not records of a payment: erased with the account.
    return Personal(
        category=Category.BILLING,
        purpose=purpose,
        basis=Basis.CONTRACT,
        retention=Retention.ACCOUNT,
        erasure=Erasure.ANONYMIZE,
        strategy=strategy,
    )


# The invoices keep their own snapshot, so the profile goes with the account.
BILLING_DETAILS = Personal(
    category=Category.BILLING,
    purpose="Payment processing",
    basis=Basis.CONTRACT,
    retention=Retention.ACCOUNT,
)


declare(
    Plan,
    None,
    id=NOT_PERSONAL,
    name=NOT_PERSONAL,
    multiplier=NOT_PERSONAL,
    allowed_regions=NOT_PERSONAL,
)

declare(
    PriceProposal,
    None,
    id=NOT_PERSONAL,
    model=NOT_PERSONAL,
    input_per_million=NOT_PERSONAL,
    cached_input_per_million=NOT_PERSONAL,
    output_per_million=NOT_PERSONAL,
    request_fee=NOT_PERSONAL,
    effective_from=NOT_PERSONAL,
    note=NOT_PERSONAL,
    status=NOT_PERSONAL,
    proposed_by=CONFIGURED_BY,
    decided_by=CONFIGURED_BY,
    decided_at=NOT_PERSONAL,
    price=NOT_PERSONAL,
    created_at=NOT_PERSONAL,
)

declare(
    Price,
    None,
    id=NOT_PERSONAL,
    model=NOT_PERSONAL,
    input_per_million=NOT_PERSONAL,
    cached_input_per_million=NOT_PERSONAL,
    output_per_million=NOT_PERSONAL,
    request_fee=NOT_PERSONAL,
    effective_from=NOT_PERSONAL,
    created_by=CONFIGURED_BY,
    created_at=NOT_PERSONAL,
)

declare(
    Wallet,
    "user",
    user=PAYMENT_RECORD,
    balance=PAYMENT_RECORD,
    held=PAYMENT_RECORD,
    plan=PAYMENT_RECORD,
    low_balance_threshold=billing_preference("Communication — service notices", strategy="null"),
    low_balance_alerted=billing_preference("Communication — service notices", strategy="false"),
    last_topup_amount=billing_preference("Payment processing", strategy="null"),
    last_topup_provider=billing_preference("Payment processing", strategy="blank"),
)

declare(
    TopUpOrder,
    "user",
    id=NOT_PERSONAL,
    user=PAYMENT_RECORD,
    provider=PAYMENT_RECORD,
    status=PAYMENT_RECORD,
    credit_amount=PAYMENT_RECORD,
    currency=PAYMENT_RECORD,
    charged_amount=PAYMENT_RECORD,
    exchange_rate=PAYMENT_RECORD,
    livemode=PAYMENT_RECORD,
    provider_reference=PAYMENT_RECORD,
    created_at=PAYMENT_RECORD,
    paid_at=PAYMENT_RECORD,
    refunded_at=PAYMENT_RECORD,
)

declare(
    WebhookEvent,
    "order__user",
    id=NOT_PERSONAL,
    provider=PAYMENT_RECORD,
    event_id=PAYMENT_RECORD,
    kind=PAYMENT_RECORD,
    order=PAYMENT_RECORD,
    received_at=PAYMENT_RECORD,
)

# A code is configuration until someone redeems it; who and when is then a payment record.
declare(
    RedemptionCode,
    "redeemed_by",
    id=NOT_PERSONAL,
    code=NOT_PERSONAL,
    amount=NOT_PERSONAL,
    batch=NOT_PERSONAL,
    expires_at=NOT_PERSONAL,
    redeemed_by=PAYMENT_RECORD,
    redeemed_at=PAYMENT_RECORD,
    created_by=CONFIGURED_BY,
    created_at=NOT_PERSONAL,
)

# The ledger is append-only and is the books: every entry is kept, including the reason a
# member of staff wrote for an adjustment or refund.
declare(
    LedgerEntry,
    "wallet__user",
    id=NOT_PERSONAL,
    wallet=PAYMENT_RECORD,
    kind=PAYMENT_RECORD,
    amount=PAYMENT_RECORD,
    balance_after=PAYMENT_RECORD,
    idempotency_key=PAYMENT_RECORD,
    order=PAYMENT_RECORD,
    redemption_code=PAYMENT_RECORD,
    request_id=PAYMENT_RECORD,
    actor=LEDGER_ACTOR,
    reason=PAYMENT_RECORD,
    created_at=PAYMENT_RECORD,
)

declare(
    Hold,
    "wallet__user",
    id=NOT_PERSONAL,
    request_id=PAYMENT_RECORD,
    wallet=PAYMENT_RECORD,
    amount=PAYMENT_RECORD,
    status=PAYMENT_RECORD,
    created_at=PAYMENT_RECORD,
    expires_at=PAYMENT_RECORD,
    charged=PAYMENT_RECORD,
    uncollected=PAYMENT_RECORD,
)

declare(
    BillingProfile,
    "user",
    user=BILLING_DETAILS,
    name=BILLING_DETAILS,
    address=BILLING_DETAILS,
    country=BILLING_DETAILS,
    tax_id=BILLING_DETAILS,
)

# The billing details as they were when the invoice was issued, which tax law requires to keep.
declare(
    Invoice,
    "order__user",
    id=NOT_PERSONAL,
    number=PAYMENT_RECORD,
    order=PAYMENT_RECORD,
    issued_at=PAYMENT_RECORD,
    billed_to=PAYMENT_RECORD,
    tax_id=PAYMENT_RECORD,
)
