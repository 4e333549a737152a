"""The gateway app's fields in the data inventory.

Usage logs are metadata of a person's requests: on erasure the links to the person (user, API
key, client IP) are cut and the rest is kept until the 90-day purge, because charges and usage
statistics are built from it. Content logs exist only with consent and are deleted outright.
Channels are the operator's upstream accounts, with no personal data.
"""

from __future__ import annotations

from gateway.models import Channel, ContentLog, UsageLog
from privacy.inventory import (
    NOT_PERSONAL,
    Basis,
    Category,
    Erasure,
    Personal,
    Retention,
    declare,
)


def usage(purpose: str, *, basis: Basis = Basis.CONTRACT) -> Personal:
    return Personal(
        category=Category.USAGE,
        purpose=purpose,
        basis=basis,
        retention=Retention.USAGE_LOGS,
        erasure=Erasure.RETAIN,
    )


def usage_link(category: Category, purpose: str, *, basis: Basis = Basis.CONTRACT) -> Personal:
    # What ties a usage log to a person: nulled on erasure, which leaves the row anonymous.
    return Personal(
        category=category,
        purpose=purpose,
        basis=basis,
        retention=Retention.USAGE_LOGS,
        erasure=Erasure.ANONYMIZE,
        strategy="null",
    )


# Exported decrypted; nothing of it is kept once consent is withdrawn or the account erased.
def content(*, export_as: str = "") -> Personal:
    # The encrypted columns are exported decrypted, through the model's properties.
    return Personal(
        category=Category.CONTENT,
        purpose="Troubleshooting and quality assurance (opt-in)",
        basis=Basis.CONSENT,
        retention=Retention.CONTENT_LOGS,
        erasure=Erasure.DELETE,
        export_as=export_as,
    )


declare(
    Channel,
    None,
    id=NOT_PERSONAL,
    name=NOT_PERSONAL,
    provider=NOT_PERSONAL,
    base_url=NOT_PERSONAL,
    # A secret, but the operator's own upstream key rather than anyone's personal data.
    api_key=NOT_PERSONAL,
    served_models=NOT_PERSONAL,
    model_mapping=NOT_PERSONAL,
    context_windows=NOT_PERSONAL,
    priority=NOT_PERSONAL,
    weight=NOT_PERSONAL,
    enabled=NOT_PERSONAL,
    connect_timeout=NOT_PERSONAL,
    read_timeout=NOT_PERSONAL,
    plan=NOT_PERSONAL,
    region=NOT_PERSONAL,
    created_at=NOT_PERSONAL,
    updated_at=NOT_PERSONAL,
)

declare(
    UsageLog,
    "user",
    id=NOT_PERSONAL,
    request_id=usage("Usage monitoring"),
    created_at=usage("Usage monitoring"),
    user=usage_link(Category.USAGE, "Usage monitoring"),
    api_token=usage_link(Category.USAGE, "Usage monitoring"),
    endpoint=usage("Usage monitoring"),
    model=usage("Usage monitoring"),
    # Which upstream account served the request is the operator's routing, not about the person.
    channel=NOT_PERSONAL,
    stream=usage("Usage monitoring"),
    status_code=usage("Usage monitoring"),
    latency_ms=usage("Service improvement", basis=Basis.LEGITIMATE_INTEREST),
    first_token_ms=usage("Service improvement", basis=Basis.LEGITIMATE_INTEREST),
    input_tokens=usage("Usage monitoring"),
    cached_input_tokens=usage("Usage monitoring"),
    output_tokens=usage("Usage monitoring"),
    usage_counted_locally=usage("Usage monitoring"),
    cost=usage("Usage monitoring"),
    error_class=usage("Service improvement", basis=Basis.LEGITIMATE_INTEREST),
    client_ip=usage_link(Category.DEVICE, "Security", basis=Basis.LEGITIMATE_INTEREST),
)

declare(
    ContentLog,
    "user",
    id=NOT_PERSONAL,
    request_id=content(),
    user=content(),
    created_at=content(),
    prompt_encrypted=content(export_as="prompt"),
    response_encrypted=content(export_as="response"),
)
