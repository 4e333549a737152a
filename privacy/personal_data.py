"""The privacy app's own fields in the data inventory."""

from __future__ import annotations

from privacy.inventory import NOT_PERSONAL, Basis, Category, Erasure, Personal, Retention, declare
from privacy.models import (
    AccessEvent,
    BreachIncident,
    BreachNotification,
    ConsentNotice,
    ConsentRecord,
    DataExport,
    DataSubjectRequest,
    DsarEvent,
    ErasurePlan,
    LegalHold,
    MinorCase,
    PageView,
    PolicyAcknowledgement,
    PolicyDocument,
    PolicyNotice,
    ProcessorTask,
    RetentionPolicy,
    RetentionRun,
    SuppressionEntry,
)

PROOF_OF_CONSENT = "Demonstrating consent (GDPR Art. 7(1))"


def consent_evidence(category: Category, *, strategy: str = "") -> Personal:
    # Kept to prove consent was given or withdrawn; the link to the person is cut on erasure.
    return Personal(
        category=category,
        purpose=PROOF_OF_CONSENT,
        basis=Basis.LEGAL_OBLIGATION,
        retention=Retention.CONSENT_RECORDS,
        erasure=Erasure.ANONYMIZE if strategy else Erasure.RETAIN,
        strategy=strategy,
    )


declare(
    ConsentNotice,
    None,
    id=NOT_PERSONAL,
    purpose=NOT_PERSONAL,
    version=NOT_PERSONAL,
    language=NOT_PERSONAL,
    text=NOT_PERSONAL,
    published_at=NOT_PERSONAL,
)

declare(
    ConsentRecord,
    "user",
    id=NOT_PERSONAL,
    user=consent_evidence(Category.CONSENT, strategy="null"),
    browser_id=consent_evidence(Category.DEVICE, strategy="blank"),
    purpose=consent_evidence(Category.CONSENT),
    notice_version=consent_evidence(Category.CONSENT),
    granted=consent_evidence(Category.CONSENT),
    method=consent_evidence(Category.CONSENT),
    created_at=consent_evidence(Category.CONSENT),
    ip_truncated=consent_evidence(Category.DEVICE, strategy="blank"),
    user_agent=consent_evidence(Category.DEVICE, strategy="blank"),
)


def request_record(category: Category, *, export: bool = True, strategy: str = "") -> Personal:
    # Requests and their history are kept as proof of how rights requests were handled.
    return Personal(
        category=category,
        purpose="Handling privacy requests (GDPR Art. 12-22, CCPA)",
        basis=Basis.LEGAL_OBLIGATION,
        retention=Retention.PRIVACY_REQUESTS,
        export=export,
        erasure=Erasure.ANONYMIZE if strategy else Erasure.RETAIN,
        strategy=strategy,
    )


# Which staff member handled a request: the staff member's data, never in a customer's export,
# and kept when the customer is erased (it proves who planned and who approved the erasure).
STAFF_LINK = Personal(
    category=Category.ACCOUNT,
    purpose="Accountability for handling privacy requests",
    basis=Basis.LEGAL_OBLIGATION,
    retention=Retention.PRIVACY_REQUESTS,
    export=False,
    erasure=Erasure.RETAIN,
)
# The download of a data export: never itself exported.
EXPORT_DELIVERY = Personal(
    category=Category.ACCOUNT,
    purpose="Delivering a data export",
    basis=Basis.LEGAL_OBLIGATION,
    retention=Retention.DATA_EXPORTS,
    export=False,
)

declare(
    DataSubjectRequest,
    "user",
    id=NOT_PERSONAL,
    user=request_record(Category.ACCOUNT, strategy="null"),
    email=request_record(Category.CONTACT, strategy="deleted-user-email"),
    regime=request_record(Category.SUPPORT),
    kind=request_record(Category.SUPPORT),
    details=request_record(Category.SUPPORT, strategy="blank"),
    language=request_record(Category.ACCOUNT),
    status=request_record(Category.SUPPORT),
    received_at=request_record(Category.SUPPORT),
    email_verified_at=request_record(Category.SUPPORT),
    identity_verified_at=request_record(Category.SUPPORT),
    identity_evidence=request_record(Category.IDENTITY, strategy="blank"),
    extended=request_record(Category.SUPPORT),
    due_at=request_record(Category.SUPPORT),
    assignee=STAFF_LINK,
)

declare(
    DsarEvent,
    "request__user",
    id=NOT_PERSONAL,
    request=request_record(Category.SUPPORT),
    kind=request_record(Category.SUPPORT),
    actor=STAFF_LINK,
    note=request_record(Category.SUPPORT, strategy="blank"),
    created_at=request_record(Category.SUPPORT),
)

declare(
    DataExport,
    "user",
    id=NOT_PERSONAL,
    token=EXPORT_DELIVERY,
    request=NOT_PERSONAL,
    user=EXPORT_DELIVERY,
    archive=EXPORT_DELIVERY,
    created_at=NOT_PERSONAL,
    expires_at=NOT_PERSONAL,
)

# Evidence of how erasure and holds were handled, kept under the legal obligation to show it.
ERASURE_EVIDENCE = Personal(
    category=Category.ACCOUNT,
    purpose="Proving erasures and legal holds were carried out",
    basis=Basis.LEGAL_OBLIGATION,
    retention=Retention.PRIVACY_REQUESTS,
    export=False,
    erasure=Erasure.RETAIN,
)

declare(
    RetentionPolicy,
    None,
    id=NOT_PERSONAL,
    key=NOT_PERSONAL,
    description=NOT_PERSONAL,
    days=NOT_PERSONAL,
)
declare(
    RetentionRun,
    None,
    id=NOT_PERSONAL,
    started_at=NOT_PERSONAL,
    finished_at=NOT_PERSONAL,
    counts=NOT_PERSONAL,
)

declare(
    LegalHold,
    "user",
    id=NOT_PERSONAL,
    user=ERASURE_EVIDENCE,
    reason=ERASURE_EVIDENCE,
    created_by=STAFF_LINK,
    created_at=ERASURE_EVIDENCE,
    released_at=ERASURE_EVIDENCE,
)

declare(
    ErasurePlan,
    "user",
    id=NOT_PERSONAL,
    request=ERASURE_EVIDENCE,
    user=ERASURE_EVIDENCE,
    status=ERASURE_EVIDENCE,
    plan=ERASURE_EVIDENCE,
    receipt=ERASURE_EVIDENCE,
    planned_by=STAFF_LINK,
    approved_by=STAFF_LINK,
    created_at=ERASURE_EVIDENCE,
    approved_at=ERASURE_EVIDENCE,
    executed_at=ERASURE_EVIDENCE,
)

declare(
    ProcessorTask,
    "erasure__user",
    id=NOT_PERSONAL,
    erasure=ERASURE_EVIDENCE,
    processor=NOT_PERSONAL,
    created_at=NOT_PERSONAL,
    done_at=NOT_PERSONAL,
    done_by=STAFF_LINK,
)

# A keyed hash that cannot be reversed or linked to an account, kept for good.
declare(
    SuppressionEntry,
    None,
    id=NOT_PERSONAL,
    identifier_hash=Personal(
        category=Category.IDENTITY,
        purpose="Re-applying erasures after a backup restore",
        basis=Basis.LEGAL_OBLIGATION,
        retention=Retention.PRIVACY_REQUESTS,
        export=False,
        erasure=Erasure.RETAIN,
    ),
    erased_at=NOT_PERSONAL,
)

# Who looked at or changed whose data in admin: accountability records (GDPR Art. 5(2), 32),
# kept for two years whatever happens to the account, never part of anyone's export.
ACCESS_RECORD = Personal(
    category=Category.ACCOUNT,
    purpose="Accountability for staff access to personal data",
    basis=Basis.LEGAL_OBLIGATION,
    retention=Retention.ACCESS_AUDIT,
    export=False,
    erasure=Erasure.RETAIN,
)

declare(
    AccessEvent,
    "subjects",
    id=NOT_PERSONAL,
    staff=ACCESS_RECORD,
    action=NOT_PERSONAL,
    model=NOT_PERSONAL,
    object_ids=ACCESS_RECORD,
    fields=NOT_PERSONAL,
    detail=NOT_PERSONAL,
    reason=ACCESS_RECORD,
    ip_truncated=ACCESS_RECORD,
    created_at=ACCESS_RECORD,
    subjects=ACCESS_RECORD,
)

# The breach register documents each breach (GDPR Art. 33(5)) and proves who was told.
BREACH_RECORD = Personal(
    category=Category.CONTACT,
    purpose="Documenting breaches and notifying the people affected (GDPR Art. 33-34)",
    basis=Basis.LEGAL_OBLIGATION,
    retention=Retention.BREACH_RECORDS,
    erasure=Erasure.RETAIN,
)

declare(
    BreachIncident,
    None,
    id=NOT_PERSONAL,
    description=NOT_PERSONAL,
    became_aware_at=NOT_PERSONAL,
    data_categories=NOT_PERSONAL,
    people_affected=NOT_PERSONAL,
    risk=NOT_PERSONAL,
    containment=NOT_PERSONAL,
    authority_notified_at=NOT_PERSONAL,
    authority_reference=NOT_PERSONAL,
    late_reason=NOT_PERSONAL,
    users_notified_at=NOT_PERSONAL,
    created_by=STAFF_LINK,
    created_at=NOT_PERSONAL,
)

declare(
    BreachNotification,
    "user",
    id=NOT_PERSONAL,
    incident=BREACH_RECORD,
    user=BREACH_RECORD,
    email=BREACH_RECORD,
    language=BREACH_RECORD,
    created_at=BREACH_RECORD,
    sent_at=BREACH_RECORD,
)

declare(
    PolicyDocument,
    None,
    id=NOT_PERSONAL,
    kind=NOT_PERSONAL,
    version=NOT_PERSONAL,
    language=NOT_PERSONAL,
    title=NOT_PERSONAL,
    body=NOT_PERSONAL,
    material=NOT_PERSONAL,
    effective_at=NOT_PERSONAL,
    published_at=NOT_PERSONAL,
    created_by=STAFF_LINK,
)

# Proof that people were told of a change and acknowledged it, kept like consent records.
POLICY_RECORD = Personal(
    category=Category.CONSENT,
    purpose="Proving that people were told of material policy changes (privacy policy 9.1)",
    basis=Basis.LEGAL_OBLIGATION,
    retention=Retention.CONSENT_RECORDS,
    erasure=Erasure.RETAIN,
)

declare(
    PolicyNotice,
    "user",
    id=NOT_PERSONAL,
    kind=POLICY_RECORD,
    version=POLICY_RECORD,
    user=POLICY_RECORD,
    created_at=POLICY_RECORD,
    sent_at=POLICY_RECORD,
)

declare(
    PolicyAcknowledgement,
    "user",
    id=NOT_PERSONAL,
    kind=POLICY_RECORD,
    version=POLICY_RECORD,
    user=POLICY_RECORD,
    created_at=POLICY_RECORD,
)


def minor_case(category: Category, *, export: bool = True, strategy: str = "") -> Personal:
    # Kept as proof of how a suspected minor was handled; the child's own details go on erasure.
    return Personal(
        category=category,
        purpose="Protecting minors (privacy policy section 8)",
        basis=Basis.LEGAL_OBLIGATION,
        retention=Retention.PRIVACY_REQUESTS,
        export=export,
        erasure=Erasure.ANONYMIZE if strategy else Erasure.RETAIN,
        strategy=strategy,
    )


declare(
    MinorCase,
    "user",
    id=NOT_PERSONAL,
    user=minor_case(Category.ACCOUNT),
    reported_email=minor_case(Category.CONTACT, strategy="deleted-user-email"),
    source=minor_case(Category.SUPPORT),
    status=minor_case(Category.SUPPORT),
    # The guardian's own data, never in the account holder's export.
    guardian_name=minor_case(Category.IDENTITY, export=False),
    guardian_email=minor_case(Category.CONTACT, export=False),
    details=minor_case(Category.SUPPORT, export=False, strategy="blank"),
    created_at=minor_case(Category.SUPPORT),
    suspended_by=STAFF_LINK,
    decided_by=STAFF_LINK,
    decided_at=minor_case(Category.SUPPORT),
    erasure=ERASURE_EVIDENCE,
)


def analytics(category: Category) -> Personal:
    return Personal(
        category=category,
        purpose="First-party analytics",
        basis=Basis.CONSENT,
        retention=Retention.ANALYTICS,
    )


declare(
    PageView,
    "user",
    id=NOT_PERSONAL,
    page=analytics(Category.USAGE),
    day=analytics(Category.USAGE),
    language=analytics(Category.USAGE),
    user=analytics(Category.ACCOUNT),
    browser_id=analytics(Category.DEVICE),
    created_at=analytics(Category.USAGE),
)
