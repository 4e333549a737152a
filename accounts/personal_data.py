"""The accounts app's fields in the data inventory.

The user row itself outlives an erasure: wallets and top-up orders point to it (PROTECT) and are
kept as payment records, so every identifying value on it is anonymized instead of deleted.
"""

from __future__ import annotations

from accounts.models import ApiToken, Feedback, Preferences, SupportTicket, TicketMessage, User
from privacy.inventory import NOT_PERSONAL, Basis, Category, Erasure, Personal, Retention, declare


def account_data(
    category: Category,
    purpose: str,
    *,
    basis: Basis = Basis.CONTRACT,
    export: bool = True,
    erasure: Erasure = Erasure.DELETE,
    strategy: str = "",
) -> Personal:
    return Personal(
        category=category,
        purpose=purpose,
        basis=basis,
        retention=Retention.ACCOUNT,
        export=export,
        erasure=erasure,
        strategy=strategy,
    )


def anonymized(
    category: Category,
    purpose: str,
    strategy: str,
    *,
    basis: Basis = Basis.CONTRACT,
    export: bool = True,
) -> Personal:
    return account_data(
        category, purpose, basis=basis, export=export, erasure=Erasure.ANONYMIZE, strategy=strategy
    )


declare(
    User,
    "pk",
    id=NOT_PERSONAL,
    email=anonymized(Category.CONTACT, "Account management", "deleted-user-email"),
    username=anonymized(Category.IDENTITY, "Account management", "deleted-user-username"),
    display_name=anonymized(Category.IDENTITY, "Account management", "blank"),
    avatar=anonymized(Category.IDENTITY, "Account management", "blank"),
    bio=anonymized(Category.IDENTITY, "Account management", "blank"),
    # A salted hash is a credential, not something to hand back.
    password=anonymized(Category.ACCOUNT, "Account management", "unusable-password", export=False),
    last_login=anonymized(Category.ACCOUNT, "Security", "null", basis=Basis.LEGITIMATE_INTEREST),
    date_joined=account_data(Category.ACCOUNT, "Account management", erasure=Erasure.RETAIN),
    # The flags describe the person's account and role; an erased account keeps no access.
    is_active=anonymized(Category.ACCOUNT, "Account management", "false"),
    is_staff=anonymized(Category.ACCOUNT, "Security", "false", basis=Basis.LEGITIMATE_INTEREST),
    is_superuser=anonymized(Category.ACCOUNT, "Security", "false", basis=Basis.LEGITIMATE_INTEREST),
    groups=account_data(Category.ACCOUNT, "Security", basis=Basis.LEGITIMATE_INTEREST),
    user_permissions=account_data(Category.ACCOUNT, "Security", basis=Basis.LEGITIMATE_INTEREST),
    # Proof that minors are kept out (policy section VIII), kept as long as the account data.
    adult_confirmed_at=account_data(
        Category.ACCOUNT, "Legal compliance", basis=Basis.LEGAL_OBLIGATION, erasure=Erasure.RETAIN
    ),
    # The account-data retention period counts from closure, so erasure must not lose it.
    closed_at=account_data(
        Category.ACCOUNT, "Legal compliance", basis=Basis.LEGAL_OBLIGATION, erasure=Erasure.RETAIN
    ),
    # Evidence that an Art. 18 restriction was honoured.
    processing_restricted=account_data(
        Category.ACCOUNT, "Legal compliance", basis=Basis.LEGAL_OBLIGATION, erasure=Erasure.RETAIN
    ),
)

declare(
    Preferences,
    "user",
    user=account_data(Category.ACCOUNT, "Account management"),
    default_model=account_data(Category.ACCOUNT, "Service provision"),
    language=account_data(Category.ACCOUNT, "Localization"),
    time_zone=account_data(Category.ACCOUNT, "Localization"),
    product_updates=account_data(
        Category.CONSENT, "Communication — marketing", basis=Basis.CONSENT
    ),
    content_logging=account_data(
        Category.CONSENT, "Training and quality assurance", basis=Basis.CONSENT
    ),
    # The person's data-residency choice: which regions may process their API calls.
    allowed_regions=account_data(Category.ACCOUNT, "Service provision"),
)

declare(
    ApiToken,
    "user",
    id=NOT_PERSONAL,
    user=account_data(Category.ACCOUNT, "Account management"),
    name=account_data(Category.ACCOUNT, "Account management"),
    # Secrets are never exported, not even their hash or the prefix used to look them up.
    lookup_prefix=account_data(Category.ACCOUNT, "Account management", export=False),
    key_hash=account_data(Category.ACCOUNT, "Account management", export=False),
    enabled=account_data(Category.ACCOUNT, "Account management"),
    expires_at=account_data(Category.ACCOUNT, "Security"),
    allowed_models=account_data(Category.ACCOUNT, "Service provision"),
    allowed_ips=account_data(Category.DEVICE, "Security"),
    spending_limit=account_data(Category.ACCOUNT, "Usage monitoring"),
    rpm_limit=account_data(Category.ACCOUNT, "Usage monitoring"),
    tpm_limit=account_data(Category.ACCOUNT, "Usage monitoring"),
    created_at=account_data(Category.USAGE, "Account management"),
    last_used_at=account_data(Category.USAGE, "Security", basis=Basis.LEGITIMATE_INTEREST),
)


def support_data(
    category: Category, *, basis: Basis = Basis.CONTRACT, export: bool = True
) -> Personal:
    return Personal(
        category=category,
        purpose="Customer support",
        basis=basis,
        retention=Retention.SUPPORT,
        export=export,
    )


declare(
    SupportTicket,
    "user",
    id=NOT_PERSONAL,
    user=support_data(Category.ACCOUNT),
    subject=support_data(Category.SUPPORT),
    category=support_data(Category.SUPPORT),
    status=support_data(Category.SUPPORT),
    created_at=support_data(Category.SUPPORT),
    updated_at=support_data(Category.SUPPORT),
)

declare(
    TicketMessage,
    "ticket__user",
    id=NOT_PERSONAL,
    ticket=support_data(Category.SUPPORT),
    # Which staff member answered is not the person's data to take away.
    author=support_data(Category.SUPPORT, export=False),
    body=support_data(Category.SUPPORT),
    is_staff_reply=support_data(Category.SUPPORT),
    created_at=support_data(Category.SUPPORT),
)

declare(
    Feedback,
    "user",
    id=NOT_PERSONAL,
    user=support_data(Category.ACCOUNT, basis=Basis.LEGITIMATE_INTEREST),
    message=support_data(Category.SUPPORT, basis=Basis.LEGITIMATE_INTEREST),
    rating=support_data(Category.SUPPORT, basis=Basis.LEGITIMATE_INTEREST),
    created_at=support_data(Category.SUPPORT, basis=Basis.LEGITIMATE_INTEREST),
)
